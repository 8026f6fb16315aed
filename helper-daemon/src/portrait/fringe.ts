/**
 * Hair inside the face oval: a fringe over the forehead. The face mesh stops at the oval and
 * the selfie matte has no hair class (inside the oval it says "person" everywhere), so where
 * hair covers the forehead is read from the source itself: above the brows, pixels whose
 * colour is far from the face's own skin (sampled on the cheeks, which hair rarely covers),
 * and, where colour alone is unsure, whose texture runs in one clear direction like strands.
 * The result is one smooth map per face, in source pixels, that the masks lay inside the oval
 * as hair (and take out of the skin); eyes and brows are cut out there. A face too small for
 * the mesh gets the same from its six keypoints, in a frontal face's proportions.
 */
import { bilinearTap, sampleTap } from "../image/bilinear";
import { cropImage } from "../image/crop";
import { gaussianBlur } from "../image/filters";
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { median } from "../image/statistics";
import type { Face, FaceMesh, Point } from "./faces";
import { MESH_OUTLINES } from "./mesh-regions";
import { soft } from "./polygon";
import { structureTensor } from "./structure-tensor";

/** The stage's constants, named, so the bench can report what it measured. */
export const HAIR_FRINGE = {
  /** 0 keeps the hair mask out of the face oval (the quality bench's before), 1 full. */
  strength: 1,
  /** Cheek landmarks whose disks sample the skin's colour (MediaPipe: 205, 50 right; 425, 280 left). */
  cheeks: [205, 50, 425, 280],
  /** Radius of each cheek disk, in eye widths (larger disks reach the nose and the jaw's shadow). */
  cheekRadius: 0.35,
  /**
   * How far from the skin's colour a pixel is hair: distance 1 at this many robust standard
   * deviations of the cheeks, but never under the floors (a flat-lit face has a tiny spread).
   * Only darker luma and chroma off the skin's counts: a highlight on the forehead is
   * brighter and paler skin, not hair.
   */
  spreads: 2,
  lumaFloor: 0.04,
  chromaFloor: 0.02,
  /** Colour distance from which hair starts (0) and at which it is certain (1). */
  hairFrom: 0.6,
  hairAt: 1.2,
  /** Colour distance from which strand-like texture counts as hair (half-way to hair). */
  strandFrom: 0.4,
  /** Coherence (0..1) below which texture has no direction, and at which it fully has one. */
  coherenceLow: 0.3,
  coherenceHigh: 0.6,
  /** Texture energy, in multiples of the cheeks' median, at which texture counts as half structured. */
  strandEnergy: 4,
  /**
   * Margin above the brows' top before hair may start, and the step's half-width, in eye
   * widths: hair is full from 0.2 eye widths above the brows' highest point (the eye mask,
   * brows included, is cut out of it again at the output).
   */
  browMargin: 0,
  browFeather: 0.1,
  /** The map's smoothing, in eye widths (at least one source pixel): no step shows in any mask. */
  featherSigma: 0.08,
  /** Without a mesh: the brows' top above the eyes and an eye's width, in eye distances. */
  keypointBrowRise: 0.4,
  keypointEyeWidth: 0.45,
};

/** A face's fringe: hair probability 0..1 over a rectangle of source pixels (0 outside it). */
export interface FringeMap extends Plane {
  readonly x: number;
  readonly y: number;
}

function landmark(mesh: FaceMesh, index: number): Point {
  return { x: mesh.points[3 * index], y: mesh.points[3 * index + 1] };
}

/** Per pixel of the rectangle (x0, y0, w, h) inside the image: luma (Rec. 601, as everywhere), B−Y, R−Y. */
function colourPlanes(image: RgbImage, x0: number, y0: number, w: number, h: number): { y: Float32Array; cb: Float32Array; cr: Float32Array } {
  const crop = cropImage(image, { x: x0, y: y0, width: w, height: h });
  const { data: y } = luma(crop);
  const n = w * h;
  const cb = new Float32Array(n);
  const cr = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    cb[i] = crop.rgb[2 * n + i] - y[i];
    cr[i] = crop.rgb[i] - y[i];
  }
  return { y, cb, cr };
}

/**
 * How far a colour difference (B−Y, R−Y) lies from the skin's, not counting paler skin: a
 * highlight or a lit forehead has the skin's hue with less of it (the chroma on the segment
 * from grey to the skin's), which is no sign of hair.
 */
function chromaOffSkin(cb: number, cr: number, skinCb: number, skinCr: number): number {
  const skin2 = skinCb * skinCb + skinCr * skinCr;
  const t = skin2 > 0 ? Math.min(1, Math.max(0, (cb * skinCb + cr * skinCr) / skin2)) : 0;
  return Math.hypot(cb - t * skinCb, cr - t * skinCr);
}

/** Structure-tensor coherence (0..1) and energy of a luma plane, smoothed over a source pixel. */
function strandTensor(y: Float32Array, w: number, h: number): { coherence: Float32Array; energy: Float32Array } {
  const { xx: sxx, xy: sxy, yy: syy } = structureTensor({ width: w, height: h, data: y }, 1);
  const coherence = new Float32Array(w * h);
  const energy = new Float32Array(w * h);
  for (let i = 0; i < energy.length; i++) {
    energy[i] = Math.max(0, sxx[i] + syy[i]);
    coherence[i] = energy[i] > 1e-12 ? Math.hypot(sxx[i] - syy[i], 2 * sxy[i]) / energy[i] : 0;
  }
  return { coherence, energy };
}

/** Where to look for a fringe on one face, in source pixels. */
export interface FringeGeometry {
  /** Unit vector towards the top of the head (turned with the eyes). */
  readonly up: Point;
  /** The brows' highest point along `up` (a dot product with `up`, in pixels). */
  readonly browTop: number;
  /** One eye's width: the size that sets margins and smoothing. */
  readonly eyeWidth: number;
  /** Centres of the disks where the skin's colour is sampled. */
  readonly cheeks: readonly Point[];
  /** The rectangle the face oval lies in. */
  readonly bounds: { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number };
}

/** "Up" from the right eye to the left: the eyes' direction turned a quarter towards the forehead. */
function upFrom(rightEye: Point, leftEye: Point): { up: Point; distance: number } {
  const distance = Math.hypot(leftEye.x - rightEye.x, leftEye.y - rightEye.y);
  return { up: { x: (leftEye.y - rightEye.y) / distance, y: -(leftEye.x - rightEye.x) / distance }, distance };
}

/** A meshed face's geometry: its brows, cheeks and oval from the landmarks. */
export function meshFringeGeometry(mesh: FaceMesh): FringeGeometry | undefined {
  const at = (index: number) => landmark(mesh, index);
  const eyeWidth = (Math.hypot(at(33).x - at(133).x, at(33).y - at(133).y) + Math.hypot(at(263).x - at(362).x, at(263).y - at(362).y)) / 2;
  const { up, distance } = upFrom(at(33), at(263));
  if (!(eyeWidth > 0 && distance > 0)) return undefined;
  const browTop = Math.max(...[...MESH_OUTLINES.rightBrow, ...MESH_OUTLINES.leftBrow].map((i) => at(i).x * up.x + at(i).y * up.y));
  const oval = MESH_OUTLINES.faceOval.map(at);
  const bounds = { x0: Math.min(...oval.map((p) => p.x)), y0: Math.min(...oval.map((p) => p.y)), x1: Math.max(...oval.map((p) => p.x)), y1: Math.max(...oval.map((p) => p.y)) };
  return { up, browTop, eyeWidth, cheeks: HAIR_FRINGE.cheeks.map(at), bounds };
}

/**
 * A face without a mesh (too small for it): the same from BlazeFace's eyes, in the proportions
 * of a frontal face (eye distance d: brows' top 0.4 d above the eyes, an eye 0.45 d wide,
 * cheeks 0.5 d beside and 0.6 d below them; measured on the README sample's mesh: 0.34 d and 0.45 d).
 */
export function keypointFringeGeometry(face: Face): FringeGeometry | undefined {
  const { rightEye, leftEye } = face.keypoints;
  const { up, distance: d } = upFrom(rightEye, leftEye);
  if (!(d > 0)) return undefined;
  const centre = { x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 };
  // Across the face (towards the subject's left eye) and down it, d long each.
  const across = { x: -up.y * d, y: up.x * d };
  const down = { x: -up.x * d, y: -up.y * d };
  const point = (u: number, v: number): Point => ({ x: centre.x + u * across.x + v * down.x, y: centre.y + u * across.y + v * down.y });
  const corners = [point(-1.2, -1.3), point(1.2, -1.3), point(-1.2, 0.9), point(1.2, 0.9)];
  return {
    up,
    browTop: centre.x * up.x + centre.y * up.y + HAIR_FRINGE.keypointBrowRise * d,
    eyeWidth: HAIR_FRINGE.keypointEyeWidth * d,
    cheeks: [point(-0.5, 0.6), point(0.5, 0.6)],
    bounds: { x0: Math.min(...corners.map((p) => p.x)), y0: Math.min(...corners.map((p) => p.y)), x1: Math.max(...corners.map((p) => p.x)), y1: Math.max(...corners.map((p) => p.y)) },
  };
}

/**
 * The fringe over a face's forehead (see the module comment), or undefined when the face
 * leaves no forehead in the image.
 *
 * @example const map = fringeMap(image, meshFringeGeometry(face.mesh)!); // 0 on the forehead's skin, ≈1 on its fringe
 */
export function fringeMap(image: RgbImage, geometry: FringeGeometry): FringeMap | undefined {
  const t = HAIR_FRINGE;
  const { up, browTop, eyeWidth, bounds } = geometry;
  const rise = (x: number, y: number): number => x * up.x + y * up.y;
  const sigma = Math.max(1, t.featherSigma * eyeWidth);
  const pad = Math.ceil(3 * sigma) + 1;
  const x0 = Math.max(0, Math.floor(bounds.x0) - pad);
  const y0 = Math.max(0, Math.floor(bounds.y0) - pad);
  const x1 = Math.min(image.width, Math.ceil(bounds.x1) + pad);
  const y1 = Math.min(image.height, Math.ceil(bounds.y1) + pad);
  const w = x1 - x0;
  const h = y1 - y0;
  if (w < 1 || h < 1) return undefined;

  const { y, cb, cr } = colourPlanes(image, x0, y0, w, h);
  const { coherence, energy } = strandTensor(y, w, h);
  const cheek: number[] = [];
  const radius = t.cheekRadius * eyeWidth;
  for (const p of geometry.cheeks) {
    for (let r = Math.ceil(p.y - radius); r <= p.y + radius; r++)
      for (let c = Math.ceil(p.x - radius); c <= p.x + radius; c++)
        if (r >= y0 && r < y1 && c >= x0 && c < x1 && Math.hypot(c - p.x, r - p.y) <= radius) cheek.push((r - y0) * w + (c - x0));
  }
  if (cheek.length === 0) return undefined;
  const skinY = median(cheek.map((i) => y[i]), "upper");
  const skinCb = median(cheek.map((i) => cb[i]), "upper");
  const skinCr = median(cheek.map((i) => cr[i]), "upper");
  // Robust spreads (1.4826 × median absolute deviation ≈ one standard deviation).
  const lumaScale = Math.max(t.lumaFloor, t.spreads * 1.4826 * median(cheek.map((i) => Math.abs(y[i] - skinY)), "upper"));
  const chromaScale = Math.max(t.chromaFloor, t.spreads * 1.4826 * median(cheek.map((i) => Math.hypot(cb[i] - skinCb, cr[i] - skinCr)), "upper"));
  const skinEnergy = Math.max(1e-8, median(cheek.map((i) => energy[i]), "upper"));

  const hair = new Float32Array(w * h);
  const ramp = (v: number, from: number, to: number) => Math.min(1, Math.max(0, (v - from) / (to - from)));
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const i = r * w + c;
      const above = 1 - soft(rise(x0 + c, y0 + r) - browTop, t.browMargin * eyeWidth + t.browFeather * eyeWidth, t.browFeather * eyeWidth);
      if (above <= 0) continue;
      const darker = Math.max(0, skinY - y[i]) / lumaScale;
      const distance = Math.hypot(darker, chromaOffSkin(cb[i], cr[i], skinCb, skinCr) / chromaScale);
      const structured = energy[i] / (energy[i] + t.strandEnergy * skinEnergy);
      const strand = ramp(coherence[i], t.coherenceLow, t.coherenceHigh) * structured * ramp(distance, t.strandFrom, t.hairFrom);
      hair[i] = above * Math.max(ramp(distance, t.hairFrom, t.hairAt), strand);
    }
  const smooth = gaussianBlur({ width: w, height: h, data: hair }, sigma).data;
  return { x: x0, y: y0, width: w, height: h, data: smooth };
}

/**
 * The fringe's value at mask pixel (x, y) of a mask `scale` times the source (bilinear; 0
 * outside the map), times `HAIR_FRINGE.strength`.
 */
export function fringeAt(map: FringeMap, x: number, y: number, scale: number): number {
  if (HAIR_FRINGE.strength <= 0) return 0;
  const sx = (x + 0.5) / scale - 0.5 - map.x;
  const sy = (y + 0.5) / scale - 0.5 - map.y;
  if (sx < 0 || sy < 0 || sx > map.width - 1 || sy > map.height - 1) return 0;
  return HAIR_FRINGE.strength * sampleTap(map.data, 0, bilinearTap(sx, sy, map.width, map.height));
}

/**
 * Every face with its fringe map: from the mesh when it has one, from the six keypoints when
 * it was too small for one (or no mesh was sought). Profile and doubtful faces, whose cheeks
 * may not be where a frontal face has them, and faces with no forehead in view stay as they are.
 */
export function addFringes(image: RgbImage, faces: readonly Face[]): Face[] {
  return faces.map((face) => {
    const reason = face.meshFallback?.reason;
    if (!face.mesh && (reason === "profile" || reason === "low-confidence")) return face;
    const geometry = face.mesh ? meshFringeGeometry(face.mesh) : keypointFringeGeometry(face);
    const fringe = geometry ? fringeMap(image, geometry) : undefined;
    return fringe ? { ...face, fringe } : face;
  });
}

/**
 * Soft region masks for a face at any resolution. A face with a Face Mesh gets feathered
 * polygons that follow its features (mesh-masks.ts); a face without one (small, profile)
 * gets ellipses, capsules and bands from BlazeFace's six keypoints in a frame aligned with
 * the eyes (so a tilted head tilts its masks). A face's hair also reaches into the face
 * oval where its fringe map (fringe.ts) says hair covers the forehead; those pixels leave the
 * skin. Every falloff is smooth and never narrower than a few output pixels: no box or
 * step can show in the blended result.
 */
import type { Face, Point } from "./faces";
import type { Plane } from "../image/plane";
import { fringeAt, type FringeMap } from "./fringe";
import { meshMaskGeometry, meshMasksAt, type MeshMaskGeometry } from "./mesh-masks";
import { polygonSignedDistance, soft } from "./polygon";

/** The regions a preset can weight separately. */
export const REGIONS = ["eyes", "lips", "noseBridge", "hairline", "skin", "hair", "background"] as const;
export type Region = (typeof REGIONS)[number];

/** A factor per region (e.g. how much synthetic detail each may receive). */
export type RegionFactors = Readonly<Record<Region, number>>;

/** Mask names: the regions, the whole face, and the part of the hair inside the face oval (a fringe). */
export type MaskName = Region | "face" | "fringe";

/** Narrowest falloff in output pixels, so tiny faces still get no visible step. */
const MIN_FEATHER_PX = 4;

/**
 * A face's coordinate frame: origin between the eyes, unit = eye distance, u towards the
 * subject's left eye, v towards the mouth.
 */
export interface FaceFrame {
  readonly ox: number;
  readonly oy: number;
  readonly ux: number;
  readonly uy: number;
  readonly vx: number;
  readonly vy: number;
  /** Eye distance in the mask's pixels. */
  readonly d: number;
  readonly nose: { u: number; v: number };
  readonly mouth: { u: number; v: number };
  readonly rightEye: { u: number; v: number };
  readonly leftEye: { u: number; v: number };
}

/** Maps input-pixel coordinates to mask pixels: pixel centres scale about their centres. */
function scalePoint(p: Point, scale: number): Point {
  return { x: (p.x + 0.5) * scale - 0.5, y: (p.y + 0.5) * scale - 0.5 };
}

/**
 * The frame of `face` in pixels of an image `scale` times the detector's input (1 for the
 * source itself). Shared by the blend masks and the review, so both agree on where a face is.
 */
export function faceFrame(face: Face, scale = 1): FaceFrame {
  const k = face.keypoints;
  const re = scalePoint(k.rightEye, scale);
  const le = scalePoint(k.leftEye, scale);
  let dx = le.x - re.x;
  let dy = le.y - re.y;
  let d = Math.hypot(dx, dy);
  // Keypoints that collapse (a face seen edge-on) fall back to the box's proportions.
  const boxD = (face.box.width * scale) / 2.3;
  if (!(d > boxD * 0.3)) {
    dx = boxD;
    dy = 0;
    d = boxD;
  }
  const ux = dx / d;
  const uy = dy / d;
  let vx = -uy;
  let vy = ux;
  const ox = (re.x + le.x) / 2;
  const oy = (re.y + le.y) / 2;
  const mouth = scalePoint(k.mouth, scale);
  if ((mouth.x - ox) * vx + (mouth.y - oy) * vy < 0) {
    vx = -vx;
    vy = -vy;
  }
  const local = (p: Point): { u: number; v: number } => ({
    u: ((p.x - ox) * ux + (p.y - oy) * uy) / d,
    v: ((p.x - ox) * vx + (p.y - oy) * vy) / d,
  });
  return {
    ox,
    oy,
    ux,
    uy,
    vx,
    vy,
    d,
    nose: local(scalePoint(k.noseTip, scale)),
    mouth: local(mouth),
    rightEye: local(re),
    leftEye: local(le),
  };
}

/** `p` (in the frame's pixels) in frame coordinates: u across the eyes, v down, in eye distances. */
export function toFaceFrame(frame: FaceFrame, p: Point): { u: number; v: number } {
  const x = p.x - frame.ox;
  const y = p.y - frame.oy;
  return { u: (x * frame.ux + y * frame.uy) / frame.d, v: (x * frame.vx + y * frame.vy) / frame.d };
}

/** Normalised elliptical radius of (u, v) around (cu, cv) with semi-axes a, b. */
function ellipse(u: number, v: number, cu: number, cv: number, a: number, b: number): number {
  return Math.hypot((u - cu) / a, (v - cv) / b);
}

/** Distance (face units) from (u, v) to the segment p–q. */
function segmentDistance(u: number, v: number, pu: number, pv: number, qu: number, qv: number): number {
  const du = qu - pu;
  const dv = qv - pv;
  const len2 = du * du + dv * dv;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((u - pu) * du + (v - pv) * dv) / len2));
  return Math.hypot(u - pu - t * du, v - pv - t * dv);
}

/** What a face adds to the keypoint frame, at one mask scale. */
interface FaceExtras {
  readonly mesh?: MeshMaskGeometry;
  readonly fringe?: FringeMap;
  readonly scale: number;
}

/** Every mask's value at one point, for one face (its mesh outlines and fringe when it has them). */
function masksAt(frame: FaceFrame, extras: FaceExtras, x: number, y: number, out: Record<MaskName, number>): void {
  const px = x - frame.ox;
  const py = y - frame.oy;
  const u = (px * frame.ux + py * frame.uy) / frame.d;
  const v = (px * frame.vx + py * frame.vy) / frame.d;
  // Feathers are relative to the region's size, but at least MIN_FEATHER_PX wide.
  const minF = MIN_FEATHER_PX / frame.d;
  const chin = Math.max(1.6, frame.mouth.v + 0.75);
  const faceCv = (chin - 1.05) / 2;
  const faceB = (chin + 1.05) / 2;
  const faceR = ellipse(u, v, 0, faceCv, 1.0, faceB);
  out.face = soft(faceR, 1, Math.max(0.12, minF));
  const eyeA = 0.36;
  const eyeB = 0.24;
  const eyeF = Math.max(0.3, minF / eyeB);
  out.eyes = Math.max(
    soft(ellipse(u, v, frame.rightEye.u, frame.rightEye.v - 0.04, eyeA, eyeB), 1, eyeF),
    soft(ellipse(u, v, frame.leftEye.u, frame.leftEye.v - 0.04, eyeA, eyeB), 1, eyeF),
  );
  const bridge = segmentDistance(u, v, 0, -0.05, frame.nose.u, frame.nose.v);
  out.noseBridge = Math.max(
    soft(bridge, 0.16, Math.max(0.08, minF)),
    soft(ellipse(u, v, frame.nose.u, frame.nose.v + 0.08, 0.34, 0.22), 1, Math.max(0.3, minF / 0.22)),
  );
  out.lips = soft(ellipse(u, v, frame.mouth.u, frame.mouth.v, 0.5, 0.24), 1, Math.max(0.3, minF / 0.24));
  // The hairline: a band across the face ellipse's upper edge, fading out towards the ears.
  const band = Math.abs(faceR - 1) * faceB;
  const upper = soft(v, -0.15, Math.max(0.3, 2 * minF));
  out.hairline = soft(band, 0.22, Math.max(0.1, 1.5 * minF)) * upper;
  out.skin = out.face * (1 - Math.max(out.eyes, out.lips));
  // Hair: a larger ellipse around and above the face, minus the face itself.
  const hairR = ellipse(u, v, 0, faceCv - 0.45, 1.55, faceB + 0.55);
  const hairEllipse = soft(hairR, 1, Math.max(0.15, minF / 1.55));
  out.hair = hairEllipse * (1 - out.face);
  out.background = 1 - Math.max(out.face, out.hair, out.hairline);
  if (extras.mesh) meshMasksAt(extras.mesh, x, y, upper, hairEllipse, out);
  // A fringe is hair inside the oval, off the eyes and brows, and no longer skin.
  out.fringe = extras.fringe ? out.face * (1 - out.eyes) * fringeAt(extras.fringe, x, y, extras.scale) : 0;
  if (out.fringe > 0) {
    out.hair += out.fringe;
    out.skin *= 1 - out.fringe;
  }
}

/** How far (in mask pixels) from a face's eye midpoint any mask can be non-zero. */
function reach(frame: FaceFrame): number {
  return frame.d * 4.5 + MIN_FEATHER_PX * 2;
}

function emptyValues(): Record<MaskName, number> {
  return { face: 0, eyes: 0, lips: 0, noseBridge: 0, hairline: 0, skin: 0, hair: 0, fringe: 0, background: 1 };
}

/** The top-left pixel of a mask that covers the whole image (a window's mask starts at the window's). */
const WHOLE_IMAGE: Point = { x: 0, y: 0 };

/**
 * Calls `visit` for every pixel (index into a `width`-wide plane whose top-left is `origin`)
 * that any face's masks can reach, with the mask values there. Pixels are visited once per
 * face that reaches them. Values are computed at whole-image coordinates, so a window's mask
 * equals that part of the whole image's, whatever the face carries (keypoints, mesh, matte).
 */
function forEachFacePixel(
  faces: readonly Face[],
  width: number,
  height: number,
  scale: number,
  origin: Point,
  visit: (index: number, values: Record<MaskName, number>) => void,
): void {
  const values = emptyValues();
  for (const face of faces) {
    const frame = faceFrame(face, scale);
    const extras: FaceExtras = {
      mesh: face.mesh ? meshMaskGeometry(face.mesh, scale, MIN_FEATHER_PX, face.matteHairline) : undefined,
      fringe: face.fringe,
      scale,
    };
    const r = reach(frame);
    const x0 = Math.max(origin.x, Math.floor(frame.ox - r));
    const x1 = Math.min(origin.x + width - 1, Math.ceil(frame.ox + r));
    const y0 = Math.max(origin.y, Math.floor(frame.oy - r));
    const y1 = Math.min(origin.y + height - 1, Math.ceil(frame.oy + r));
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        masksAt(frame, extras, x, y, values);
        visit((y - origin.y) * width + (x - origin.x), values);
      }
  }
}

/**
 * One soft mask (0..1) for all faces, at `scale` times the faces' input coordinates
 * (`width`×`height` is the mask's size; `origin`, its top-left pixel when it is a window of
 * the whole image's mask). Faces combine by maximum; background is 1 − the union of face and hair.
 *
 * @example const eyes = regionMask(faces, "eyes", 2048, 2048, 4);
 */
export function regionMask(faces: readonly Face[], name: MaskName, width: number, height: number, scale: number, origin = WHOLE_IMAGE): Plane {
  const data = new Float32Array(width * height);
  if (name === "background") data.fill(1);
  forEachFacePixel(faces, width, height, scale, origin, (i, values) => {
    data[i] = name === "background" ? Math.min(data[i], values.background) : Math.max(data[i], values[name]);
  });
  return { width, height, data };
}

/**
 * A per-pixel factor map: the background's factor, then each region's factor laid over it
 * by its soft mask (hair, skin, hairline, nose bridge, lips, eyes: later layers win where
 * they overlap; skin's layer is the face without its fringe, which keeps hair's factor). Smooth wherever the masks are, so factors never switch visibly. `origin` as
 * for {@link regionMask}.
 */
export function regionFactorMap(faces: readonly Face[], factors: RegionFactors, width: number, height: number, scale: number, origin = WHOLE_IMAGE): Plane {
  const data = new Float32Array(width * height).fill(factors.background);
  const order: Region[] = ["hair", "skin", "hairline", "noseBridge", "lips", "eyes"];
  forEachFacePixel(faces, width, height, scale, origin, (i, values) => {
    let f = factors.background;
    for (const region of order) {
      // Skin's factor covers the whole face (features are laid over it), but not its fringe.
      const m = region === "skin" ? values.face - values.fringe : values[region];
      f += (factors[region] - f) * m;
    }
    // Where faces overlap, the one that departs most from the background is the one present.
    if (Math.abs(f - factors.background) > Math.abs(data[i] - factors.background)) data[i] = f;
  });
  return { width, height, data };
}

/** The bounding rectangle (in mask pixels) of a face's mask, e.g. for measuring the face region. */
export function faceRegionRect(face: Face, scale: number, width: number, height: number): { x: number; y: number; width: number; height: number } {
  const x0 = Math.max(0, Math.floor(face.box.x * scale));
  const y0 = Math.max(0, Math.floor(face.box.y * scale));
  const x1 = Math.min(width, Math.ceil((face.box.x + face.box.width) * scale));
  const y1 = Math.min(height, Math.ceil((face.box.y + face.box.height) * scale));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/**
 * A feathered polygon as a mask: 1 inside, 0 beyond `feather` pixels outside, smooth in
 * between (the outline itself is at 0.5); `grow` moves the edge outwards by that many pixels.
 *
 * @example const lips = featheredPolygonMask(outlines.polygons.lips, 512, 512, 3);
 */
export function featheredPolygonMask(polygon: readonly Point[], width: number, height: number, feather: number, grow = 0): Plane {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = soft(polygonSignedDistance(polygon, x, y), grow, feather);
  return { width, height, data };
}

/**
 * Face detection with BlazeFace at any image size. The detector sees only 128² or 256²
 * pixels, so a large photo is scanned whole (letterboxed, both models) and again in
 * overlapping square tiles at a few scales; the detections are merged by weighted
 * non-maximum suppression. Running the model is injected (`RunDetector`), so the daemon
 * passes its inference pool and tests pass onnxruntime directly.
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import { bilinearTap, sampleTap } from "../image/bilinear";
import type { RgbImage } from "../image/image";
import { resampleImage } from "../image/resample";
import { boxIou, decodeBlazeFace, weightedNms, type RawDetection } from "./blazeface";
import { addFringes, type FringeMap } from "./fringe";
import { addMatteHairlines, type HairlineFallback } from "./matte";
import { addFaceMeshes } from "./mesh";

/** The two BlazeFace variants: full-range (256², small faces) and front (128², close-ups). */
export type DetectorModelId = "blazeface-back-256" | "blazeface-front-128";

export const DETECTOR_INPUT_SIZE: Readonly<Record<DetectorModelId, number>> = {
  "blazeface-back-256": 256,
  "blazeface-front-128": 128,
};

/**
 * Runs a face model on an NHWC tensor `[1, size, size, 3]` and resolves to its raw outputs
 * in any order; decoders tell them apart by length. BlazeFace (values −1..1): 512 and 384
 * scores, 512·16 and 384·16 box values. Face Mesh (`facemesh`, 192², values 0..1): 468·3
 * landmark values, one face score, 266 contour values. Selfie segmentation (`selfie`, 256²,
 * values 0..1, the whole image): one 256² person matte.
 */
export type RunDetector = (modelId: DetectorModelId | "facemesh" | "selfie", input: Float32Array, size: number) => Promise<readonly Float32Array[]>;

/** A point in input-image pixels. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** BlazeFace's six keypoints, named from the subject's point of view as MediaPipe does. */
export interface FaceKeypoints {
  readonly rightEye: Point;
  readonly leftEye: Point;
  readonly noseTip: Point;
  readonly mouth: Point;
  readonly rightEar: Point;
  readonly leftEar: Point;
}

/** MediaPipe Face Mesh landmarks of a face, in input-image pixels. */
export interface FaceMesh {
  /** 468 × (x, y, z): x and y in image pixels, z depth at the same scale (smaller is nearer). */
  readonly points: Float32Array;
  /** The mesh model's face-presence score, 0..1. */
  readonly confidence: number;
  /** −1..1, 0 frontal (see mesh.ts `yawRatio`). */
  readonly yaw: number;
}

/** Why a face has no mesh (its regions are then ellipses from the six keypoints). */
export interface MeshFallback {
  readonly reason: "small" | "profile" | "low-confidence" | "unavailable";
  readonly facePixels?: number;
  readonly yaw?: number;
  readonly confidence?: number;
}

/** One detected face, in input-image pixels. */
export interface Face {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** 0..1 (sigmoid of the model's logit, the highest of the merged detections). */
  readonly score: number;
  readonly keypoints: FaceKeypoints;
  /** The face's 468 landmarks, when the mesh could serve it; masks then follow the features. */
  readonly mesh?: FaceMesh;
  /** Set instead of `mesh` when the face mesh was tried and not used. */
  readonly meshFallback?: MeshFallback;
  /** The person matte's edge above a meshed face, left to right, in input-image pixels: where its hairline band runs. */
  readonly matteHairline?: readonly Point[];
  /** Set instead of `matteHairline` on a meshed face when the matte could not serve it. */
  readonly hairlineFallback?: HairlineFallback;
  /** Where hair covers the face's forehead (fringe.ts): the hair mask reaches into the face oval there. */
  readonly fringe?: FringeMap;
}

export interface DetectOptions {
  /** Minimum (verified) score; below 0.75 the full-range model fires on cats and coffee cups. */
  readonly threshold?: number;
  /** Score a single view needs to make a candidate worth verifying. */
  readonly candidateThreshold?: number;
  /** Boxes overlapping more than this (intersection over union) are one face. */
  readonly iouThreshold?: number;
  /** Smallest tile side for the rescan, in input pixels; faces below ~this/8 are not sought. */
  readonly minTile?: number;
  /** Run Face Mesh on every face and the person matte once (default true); false keeps the six keypoints only. */
  readonly mesh?: boolean;
  readonly signal?: AbortSignal;
}

const DEFAULTS = { threshold: 0.75, candidateThreshold: 0.6, iouThreshold: 0.3, minTile: 320 };

/**
 * Verification views: the candidate re-framed at 2, 3 and 4 times its box, seen by both
 * models. One view of a cat can score 0.79; six views of one never averaged above 0.6,
 * while real faces average about 0.9 (astronaut, camera, a close crop).
 */
const VERIFY_EXPANSIONS = [2, 3, 4] as const;

/** A square (or letterboxed) view of the image fed to the detector. */
interface View {
  /** Source rectangle in image pixels. */
  readonly x: number;
  readonly y: number;
  readonly side: number;
  /** Which edges of the view are real image edges (detections touching other edges are cut faces). */
  readonly imageEdges: { left: boolean; top: boolean; right: boolean; bottom: boolean };
}

/**
 * Finds faces in an image of any size. Each face carries its box, score and six keypoints
 * in input pixels, sorted by score (highest first).
 *
 * @example
 * const faces = await detectFaces(image, (id, input, size) => pool.runDetector(id, input, size));
 */
export async function detectFaces(image: RgbImage, runDetector: RunDetector, options: DetectOptions = {}): Promise<Face[]> {
  const threshold = options.threshold ?? DEFAULTS.threshold;
  const candidateThreshold = Math.min(threshold, options.candidateThreshold ?? DEFAULTS.candidateThreshold);
  const iouThreshold = options.iouThreshold ?? DEFAULTS.iouThreshold;
  const minTile = options.minTile ?? DEFAULTS.minTile;
  if (!(threshold > 0 && threshold < 1)) throw invalidParameter("a number between 0 and 1", "threshold", threshold);
  if (!(iouThreshold > 0 && iouThreshold < 1)) throw invalidParameter("a number between 0 and 1", "iouThreshold", iouThreshold);
  if (!(Number.isFinite(minTile) && minTile >= 64)) throw invalidParameter("a number of pixels ≥ 64", "minTile", minTile);
  const { width, height } = image;
  if (width < 1 || height < 1) return [];

  const detections: RawDetection[] = [];
  const whole: View = {
    x: (width - Math.max(width, height)) / 2,
    y: (height - Math.max(width, height)) / 2,
    side: Math.max(width, height),
    imageEdges: { left: true, top: true, right: true, bottom: true },
  };
  for (const modelId of ["blazeface-back-256", "blazeface-front-128"] as const) {
    throwIfCancelled(options.signal);
    detections.push(...(await detectInView(image, whole, modelId, runDetector, candidateThreshold)));
  }
  // Each rescan level is reduced once; its tiles are then plain crops (a 6000-px photo has
  // hundreds of tiles, and resampling each from full resolution would dominate the time).
  let level: { side: number; image: RgbImage } | undefined;
  for (const view of rescanViews(width, height, minTile)) {
    throwIfCancelled(options.signal);
    if (level?.side !== view.side) level = { side: view.side, image: reduceForLevel(image, view.side) };
    detections.push(...(await detectInView(image, view, "blazeface-back-256", runDetector, candidateThreshold, level.image)));
  }
  const faces: RawDetection[] = [];
  for (const candidate of weightedNms(detections, iouThreshold)) {
    throwIfCancelled(options.signal);
    const verified = await verify(image, candidate, runDetector, iouThreshold);
    if (verified.score >= threshold) faces.push(verified);
  }
  // Verification re-frames each face, so two candidates may now be the same face.
  const found = weightedNms(faces, iouThreshold).map(toFace);
  throwIfCancelled(options.signal);
  if (options.mesh === false) return found;
  return addFringes(image, await addMatteHairlines(image, await addFaceMeshes(image, found, runDetector), runDetector));
}

/**
 * Re-detects a candidate in views centred on it at several framings with both models.
 * The verified score is the mean of the best overlapping score in each view (0 when a
 * view sees nothing there); box and keypoints are the score-weighted mean of those detections.
 */
async function verify(image: RgbImage, candidate: RawDetection, runDetector: RunDetector, iouThreshold: number): Promise<RawDetection> {
  const [x0, y0, x1, y1] = candidate.box;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const extent = Math.max(x1 - x0, y1 - y0);
  const seen: RawDetection[] = [];
  let total = 0;
  let views = 0;
  for (const expansion of VERIFY_EXPANSIONS) {
    const side = extent * expansion;
    const view: View = {
      x: cx - side / 2,
      y: cy - side / 2,
      side,
      imageEdges: { left: true, top: true, right: true, bottom: true },
    };
    for (const modelId of ["blazeface-back-256", "blazeface-front-128"] as const) {
      views++;
      const found = await detectInView(image, view, modelId, runDetector, 0.3);
      let best: RawDetection | undefined;
      for (const d of found) if (boxIou(d.box, candidate.box) > iouThreshold && (!best || d.score > best.score)) best = d;
      if (best) {
        total += best.score;
        seen.push(best);
      }
    }
  }
  const [merged] = weightedNms(seen.length > 0 ? seen : [candidate], 0);
  return { ...merged, score: total / views };
}

/** The image reduced so that a `side`-pixel tile becomes the full-range detector's 256 pixels. */
function reduceForLevel(image: RgbImage, side: number): RgbImage {
  const f = DETECTOR_INPUT_SIZE["blazeface-back-256"] / side;
  if (f >= 1) return image;
  return resampleImage({ width: image.width, height: image.height, rgb: image.rgb }, { width: Math.max(1, Math.round(image.width * f)), height: Math.max(1, Math.round(image.height * f)), filter: "area" });
}

/** Overlapping square tiles at halving sizes, from half the short side down to `minTile`. */
function rescanViews(width: number, height: number, minTile: number): View[] {
  const views: View[] = [];
  const longSide = Math.max(width, height);
  // A face spans roughly 1/10 to 1/2 of the detector's view; with tile sizes halving, a
  // level need only catch faces up to a quarter of its side (larger ones are the next
  // level's), and a third of overlap lets each of those fit wholly inside some tile.
  for (let side = Math.floor(longSide / 2); side >= minTile; side = Math.floor(side / 2)) {
    const stride = (side * 2) / 3;
    const xs = positions(width, side, stride);
    const ys = positions(height, side, stride);
    for (const y of ys)
      for (const x of xs)
        views.push({
          x,
          y,
          side,
          imageEdges: { left: x <= 0, top: y <= 0, right: x + side >= width, bottom: y + side >= height },
        });
  }
  return views;
}

function positions(length: number, side: number, stride: number): number[] {
  if (side >= length) return [(length - side) / 2];
  const count = Math.ceil((length - side) / stride) + 1;
  const step = (length - side) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * step));
}

async function detectInView(
  image: RgbImage,
  view: View,
  modelId: DetectorModelId,
  runDetector: RunDetector,
  threshold: number,
  levelImage?: RgbImage,
): Promise<RawDetection[]> {
  const size = DETECTOR_INPUT_SIZE[modelId];
  const f = levelImage ? levelImage.width / image.width : 1;
  const input = levelImage
    ? viewToTensor(levelImage, { x: view.x * f, y: view.y * f, side: view.side * f }, size)
    : viewToTensor(image, view, size);
  const outputs = await runDetector(modelId, input, size);
  const found = decodeBlazeFace(outputs, size, threshold);
  const scale = view.side / size;
  const margin = view.side * 0.01;
  const result: RawDetection[] = [];
  for (const d of found) {
    const box = d.box.map((v, i) => (i % 2 === 0 ? view.x : view.y) + v * scale) as RawDetection["box"];
    // A face cut by a tile edge is found whole in a neighbouring tile; its fragment would survive NMS.
    if (!view.imageEdges.left && box[0] < view.x + margin) continue;
    if (!view.imageEdges.top && box[1] < view.y + margin) continue;
    if (!view.imageEdges.right && box[2] > view.x + view.side - margin) continue;
    if (!view.imageEdges.bottom && box[3] > view.y + view.side - margin) continue;
    result.push({ score: d.score, box, points: d.points.map((v, i) => (i % 2 === 0 ? view.x : view.y) + v * scale) });
  }
  return result;
}

/**
 * Builds the detector input for a square view of the image: area-averaged down (or
 * bilinear up) to `size`², NHWC, values −1..1; parts of the view outside the image are
 * mid-grey (0), which keeps the aspect ratio (letterboxing) without inventing edges.
 */
export function viewToTensor(image: RgbImage, view: { x: number; y: number; side: number }, size: number): Float32Array {
  const { width: w, height: h, rgb } = image;
  const n = w * h;
  const out = new Float32Array(size * size * 3);
  const step = view.side / size;
  // Sample each output pixel as the mean of a small grid of points inside its footprint:
  // cheap antialiasing that costs the same for any image size.
  const samples = Math.max(1, Math.min(8, Math.ceil(step)));
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let count = 0;
      let outside = 0;
      for (let sy = 0; sy < samples; sy++) {
        const fy = view.y + (oy + (sy + 0.5) / samples) * step - 0.5;
        for (let sx = 0; sx < samples; sx++) {
          const fx = view.x + (ox + (sx + 0.5) / samples) * step - 0.5;
          if (fx < -0.5 || fy < -0.5 || fx > w - 0.5 || fy > h - 0.5) {
            outside++;
            continue;
          }
          const tap = bilinearTap(fx, fy, w, h);
          r += sampleTap(rgb, 0, tap);
          g += sampleTap(rgb, n, tap);
          b += sampleTap(rgb, 2 * n, tap);
          count++;
        }
      }
      const total = count + outside;
      const o = (oy * size + ox) * 3;
      // Outside pixels count as mid-grey (0.5 → 0 in −1..1).
      out[o] = ((r + 0.5 * outside) / total) * 2 - 1;
      out[o + 1] = ((g + 0.5 * outside) / total) * 2 - 1;
      out[o + 2] = ((b + 0.5 * outside) / total) * 2 - 1;
    }
  }
  return out;
}

function toFace(d: RawDetection): Face {
  const p = (k: number): Point => ({ x: round2(d.points[2 * k]), y: round2(d.points[2 * k + 1]) });
  return {
    box: { x: round2(d.box[0]), y: round2(d.box[1]), width: round2(d.box[2] - d.box[0]), height: round2(d.box[3] - d.box[1]) },
    score: Math.round(d.score * 10000) / 10000,
    keypoints: { rightEye: p(0), leftEye: p(1), noseTip: p(2), mouth: p(3), rightEar: p(4), leftEar: p(5) },
  };
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PortraitError("CANCELLED");
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * MediaPipe Face Mesh on each detected face: the face is cut out of the image as an upright
 * square (rotated by the angle between BlazeFace's eye keypoints, 1.5× its box, as
 * MediaPipe's own face-landmark graph frames it), the model returns 468 landmarks in that
 * crop, and they are mapped back through the same transform into image pixels.
 * A face the mesh cannot serve (too small, turned to profile, low confidence, model
 * unavailable) keeps its BlazeFace keypoints and says why, so masks fall back to ellipses.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { bilinearTap, sampleTap } from "../image/bilinear";
import type { RgbImage } from "../image/image";
import type { Face, FaceMesh, MeshFallback, RunDetector } from "./faces";

/** The landmark model's manifest id and its square input side. */
export const MESH_MODEL_ID = "facemesh";
export const MESH_INPUT_SIZE = 192;
export const MESH_POINTS = 468;

/** The crop's side as a multiple of the detector box's longer side (MediaPipe's rect scale). */
const CROP_SCALE = 1.5;
/**
 * Faces narrower than this in the source keep ellipses: at 40 px an eye is about 6 px tall,
 * and the mesh's landmark jitter (about 1 % of the crop, 0.6 px here) becomes a tenth of it.
 */
export const MIN_MESH_FACE_PX = 40;
/** The mesh's own face-presence score below which its landmarks are not trusted. */
export const MIN_MESH_CONFIDENCE = 0.5;
/**
 * |yaw ratio| above which a face counts as profile: the nose tip's offset between the two
 * cheek contour points (234 and 454), −1..1. Frontal portraits measure below 0.2; at 0.55
 * the far eye is foreshortened to under a third of the near one and its polygon is unreliable.
 */
export const MAX_YAW_RATIO = 0.55;

/** The similarity transform between a crop and the image: crop pixel → image pixel. */
export interface CropTransform {
  readonly cx: number;
  readonly cy: number;
  readonly side: number;
  readonly cos: number;
  readonly sin: number;
}

/** The upright square crop for a face: centred on the box, turned so that the eyes are level. */
export function meshCrop(face: Face): CropTransform {
  const { rightEye, leftEye } = face.keypoints;
  const angle = Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x);
  return {
    cx: face.box.x + face.box.width / 2,
    cy: face.box.y + face.box.height / 2,
    side: Math.max(face.box.width, face.box.height) * CROP_SCALE,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
  };
}

/** A point in crop pixels (0..size) → image pixels. */
export function cropToImage(t: CropTransform, x: number, y: number, size = MESH_INPUT_SIZE): { x: number; y: number } {
  const u = (x / size - 0.5) * t.side;
  const v = (y / size - 0.5) * t.side;
  return { x: t.cx + u * t.cos - v * t.sin, y: t.cy + u * t.sin + v * t.cos };
}

/**
 * The crop as the mesh model's input: NHWC `[1, size, size, 3]`, values 0..1, each pixel the
 * mean of a few bilinear samples over its footprint (outside the image: edge pixels).
 */
export function cropTensor(image: RgbImage, t: CropTransform, size = MESH_INPUT_SIZE): Float32Array {
  const { width: w, height: h, rgb } = image;
  const n = w * h;
  const out = new Float32Array(size * size * 3);
  const step = t.side / size;
  const samples = Math.max(1, Math.min(4, Math.ceil(step)));
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const p = cropToImage(t, ox + (sx + 0.5) / samples, oy + (sy + 0.5) / samples, size);
          // Pixel centres sit at integer + 0.5 in this continuous frame.
          const tap = bilinearTap(p.x - 0.5, p.y - 0.5, w, h);
          r += sampleTap(rgb, 0, tap);
          g += sampleTap(rgb, n, tap);
          b += sampleTap(rgb, 2 * n, tap);
        }
      }
      const count = samples * samples;
      const o = (oy * size + ox) * 3;
      out[o] = r / count;
      out[o + 1] = g / count;
      out[o + 2] = b / count;
    }
  }
  return out;
}

/** Nose tip and the two cheek contour points (MediaPipe indices). */
const NOSE_TIP = 1;
const RIGHT_CHEEK = 234;
const LEFT_CHEEK = 454;

/** −1..1: how far the nose tip sits towards one cheek (0 frontal). */
export function yawRatio(points: Float32Array): number {
  const x = (i: number): number => points[3 * i];
  const y = (i: number): number => points[3 * i + 1];
  const toRight = Math.hypot(x(NOSE_TIP) - x(RIGHT_CHEEK), y(NOSE_TIP) - y(RIGHT_CHEEK));
  const toLeft = Math.hypot(x(NOSE_TIP) - x(LEFT_CHEEK), y(NOSE_TIP) - y(LEFT_CHEEK));
  return toRight + toLeft > 0 ? (toRight - toLeft) / (toRight + toLeft) : 0;
}

/**
 * Adds a Face Mesh to every face it can serve, in image pixels; the others get `meshFallback`.
 * The model runs through the same runner as the detector (NHWC input). A runner failure
 * other than cancellation is a fallback for all faces, never an error: the boxes still work.
 *
 * @example const meshed = await addFaceMeshes(image, faces, runDetector);
 */
export async function addFaceMeshes(image: RgbImage, faces: readonly Face[], run: RunDetector): Promise<Face[]> {
  const out: Face[] = [];
  for (const face of faces) out.push(await meshOneFace(image, face, run));
  return out;
}

async function meshOneFace(image: RgbImage, face: Face, run: RunDetector): Promise<Face> {
  const fallback = (reason: MeshFallback["reason"], detail: Omit<MeshFallback, "reason"> = {}): Face => ({ ...face, meshFallback: { reason, ...detail } });
  if (face.box.width < MIN_MESH_FACE_PX) return fallback("small", { facePixels: Math.round(face.box.width) });
  const transform = meshCrop(face);
  let outputs: readonly Float32Array[];
  try {
    outputs = await run(MESH_MODEL_ID, cropTensor(image, transform), MESH_INPUT_SIZE);
  } catch (error) {
    if (error instanceof PortraitError && error.code === "CANCELLED") throw error;
    return fallback("unavailable");
  }
  const raw = outputs.find((output) => output.length === MESH_POINTS * 3);
  const flag = outputs.find((output) => output.length === 1);
  if (raw === undefined || flag === undefined) return fallback("unavailable");
  const confidence = flag[0];
  if (!(confidence >= MIN_MESH_CONFIDENCE)) return fallback("low-confidence", { confidence: round3(confidence) });
  const points = new Float32Array(MESH_POINTS * 3);
  for (let i = 0; i < MESH_POINTS; i++) {
    const p = cropToImage(transform, raw[3 * i], raw[3 * i + 1]);
    points[3 * i] = p.x;
    points[3 * i + 1] = p.y;
    points[3 * i + 2] = (raw[3 * i + 2] / MESH_INPUT_SIZE) * transform.side;
  }
  const yaw = yawRatio(points);
  if (Math.abs(yaw) > MAX_YAW_RATIO) return fallback("profile", { yaw: round3(yaw) });
  const mesh: FaceMesh = { points, confidence: round3(confidence), yaw: round3(yaw) };
  return { ...face, mesh };
}

/** The models that found these faces' landmarks (for the result's list of models). */
export function meshModels(faces: readonly Face[]): string[] {
  return faces.some((face) => face.mesh) ? [MESH_MODEL_ID] : [];
}

/** The pipeline's notes: one for faces whose regions fell back to ellipses, none when every face has its mesh. */
export function meshFallbackNotes(faces: readonly Face[]): MeshFallbackNote[] {
  const note = meshFallbackNote(faces);
  return note ? [note] : [];
}

export interface MeshFallbackNote {
  readonly code: "MESH_FALLBACK";
  readonly message: string;
  readonly data: { readonly faces: readonly MeshFallback[] };
}

/** The note for faces whose regions fell back to ellipses, or undefined when every face has its mesh. */
export function meshFallbackNote(faces: readonly Face[]): MeshFallbackNote | undefined {
  const fallbacks = faces.flatMap((face) => (face.meshFallback ? [face.meshFallback] : []));
  if (fallbacks.length === 0) return undefined;
  const reasons = [...new Set(fallbacks.map((fallback) => REASON_TEXT[fallback.reason]))].join("; ");
  return {
    code: "MESH_FALLBACK",
    message: `${fallbacks.length === 1 ? "One face" : `${fallbacks.length} faces`} used approximate regions (ellipses from six keypoints) instead of the face mesh: ${reasons}.`,
    data: { faces: fallbacks },
  };
}

const REASON_TEXT: Readonly<Record<MeshFallback["reason"], string>> = {
  small: `face under ${MIN_MESH_FACE_PX} px in the source`,
  profile: "face turned towards profile",
  "low-confidence": "the mesh was not confident it sees a face",
  unavailable: "the face mesh model could not run (run `portrait-upscale models verify --repair`)",
};

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

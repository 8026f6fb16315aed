/**
 * The hairline from MediaPipe's selfie segmentation: one person matte per image, and for
 * each meshed face the matte's edge above the forehead (between the brows' top and the top
 * of the head, across the face's width plus margins). Masks lay the hairline band along that
 * edge instead of the face oval's upper arc; a face the matte cannot serve keeps the arc
 * and says why.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { bilinearTap, sampleTap } from "../image/bilinear";
import type { RgbImage } from "../image/image";
import type { Plane } from "../image/plane";
import { resampleImage } from "../image/resample";
import type { Face, FaceMesh, Point, RunDetector } from "./faces";
import { MESH_OUTLINES } from "./mesh-regions";

/** The matte model's manifest id and its square input side. */
export const MATTE_MODEL_ID = "selfie";
export const MATTE_INPUT_SIZE = 256;

/** Matte value taken as the person's edge (the model's output is a sigmoid). */
const EDGE = 0.5;
/** Margins beside the face oval, as fractions of its width: hair reaches past the temples. */
const SIDE_MARGIN = 0.15;
/** Columns sampled across the face's width (the edge is smooth at the matte's resolution). */
const COLUMNS = 33;
/** How far above the brows the top of the head may be, in face-oval heights. */
const MAX_RISE = 1.5;
/** Fewer columns than this fraction with an edge means no person outline above the face. */
const MIN_COVERAGE = 0.5;

/** Why a meshed face's hairline is the face oval's arc instead of the matte's edge. */
export interface HairlineFallback {
  readonly reason: "unavailable" | "no-person";
}

/**
 * The image as the matte model's input: resized (not letterboxed: MediaPipe's selfie graph and
 * its TF.js ports stretch the frame to the square) to NHWC `[1, 256, 256, 3]`, values 0..1.
 */
export function matteInput(image: RgbImage, size = MATTE_INPUT_SIZE): Float32Array {
  const small = resampleImage(image, { width: size, height: size, filter: "area" });
  const n = size * size;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = small.rgb[i];
    out[3 * i + 1] = small.rgb[n + i];
    out[3 * i + 2] = small.rgb[2 * n + i];
  }
  return out;
}

/** The matte's value at image pixel (x, y) of a `width`×`height` image (bilinear; 0 outside). */
function matteAt(matte: Plane, width: number, height: number, x: number, y: number): number {
  const fx = ((x + 0.5) * matte.width) / width - 0.5;
  const fy = ((y + 0.5) * matte.height) / height - 0.5;
  if (fx < -0.5 || fy < -0.5 || fx > matte.width - 0.5 || fy > matte.height - 0.5) return 0;
  return sampleTap(matte.data, 0, bilinearTap(fx, fy, matte.width, matte.height));
}

function landmark(mesh: FaceMesh, index: number): Point {
  return { x: mesh.points[3 * index], y: mesh.points[3 * index + 1] };
}

/**
 * The matte's edge above a face, in image pixels, left to right across the face: for each of
 * a row of columns upright in the face's frame (turned with the eyes), the first point
 * walking up from the brows' top where the matte drops below 0.5. Columns that start outside
 * the person, or reach the image's top or `MAX_RISE` face heights without an edge, add no
 * point. Undefined when under half the columns find the edge (no person outline there).
 *
 * @example const edge = matteHairline(matte, 1024, 1024, face.mesh); // ≈ 33 points over the head
 */
export function matteHairline(matte: Plane, width: number, height: number, mesh: FaceMesh): Point[] | undefined {
  const rightEye = landmark(mesh, 33);
  const leftEye = landmark(mesh, 263);
  const eyeDistance = Math.hypot(leftEye.x - rightEye.x, leftEye.y - rightEye.y);
  if (!(eyeDistance > 0)) return undefined;
  // u across the face (towards the subject's left eye), up towards the top of the head.
  const ux = (leftEye.x - rightEye.x) / eyeDistance;
  const uy = (leftEye.y - rightEye.y) / eyeDistance;
  const upX = uy;
  const upY = -ux;
  const origin = { x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 };
  const along = (p: Point): number => (p.x - origin.x) * ux + (p.y - origin.y) * uy;
  const rise = (p: Point): number => (p.x - origin.x) * upX + (p.y - origin.y) * upY;
  const oval = MESH_OUTLINES.faceOval.map((index) => landmark(mesh, index));
  const u0 = Math.min(...oval.map(along));
  const u1 = Math.max(...oval.map(along));
  const ovalHeight = Math.max(...oval.map(rise)) - Math.min(...oval.map(rise));
  const brows = [...MESH_OUTLINES.rightBrow, ...MESH_OUTLINES.leftBrow].map((index) => landmark(mesh, index));
  const start = Math.max(...brows.map(rise));
  const margin = SIDE_MARGIN * (u1 - u0);
  // Steps of half a matte pixel in image pixels: the edge is found to well under a pixel.
  const step = Math.max(0.25, (0.5 * Math.max(width, height)) / Math.max(matte.width, matte.height));
  const maxRise = start + MAX_RISE * ovalHeight;
  const points: Point[] = [];
  for (let c = 0; c < COLUMNS; c++) {
    const u = u0 - margin + ((u1 - u0 + 2 * margin) * c) / (COLUMNS - 1);
    const at = (r: number): Point => ({ x: origin.x + u * ux + r * upX, y: origin.y + u * uy + r * upY });
    let r = start;
    let p = at(r);
    let value = matteAt(matte, width, height, p.x, p.y);
    if (value < EDGE) continue;
    while (r < maxRise) {
      const next = at(r + step);
      if (next.y < -0.5 || next.x < -0.5 || next.x > width - 0.5) break;
      const nextValue = matteAt(matte, width, height, next.x, next.y);
      if (nextValue < EDGE) {
        const t = (value - EDGE) / (value - nextValue);
        points.push({ x: p.x + (next.x - p.x) * t, y: p.y + (next.y - p.y) * t });
        break;
      }
      r += step;
      p = next;
      value = nextValue;
    }
  }
  return points.length >= MIN_COVERAGE * COLUMNS ? points : undefined;
}

/**
 * Runs the matte once for the image and gives every meshed face the matte's edge above it
 * as its hairline (`matteHairline`), or a `hairlineFallback` saying why not. Faces without a
 * mesh are returned as they are (their hairline is the keypoint frame's band). A runner
 * failure other than cancellation is a fallback, never an error.
 */
export async function addMatteHairlines(image: RgbImage, faces: readonly Face[], run: RunDetector): Promise<Face[]> {
  if (!faces.some((face) => face.mesh)) return [...faces];
  let matte: Plane | undefined;
  try {
    const outputs = await run(MATTE_MODEL_ID, matteInput(image), MATTE_INPUT_SIZE);
    const data = outputs.find((output) => output.length === MATTE_INPUT_SIZE * MATTE_INPUT_SIZE);
    if (data) matte = { width: MATTE_INPUT_SIZE, height: MATTE_INPUT_SIZE, data };
  } catch (error) {
    if (error instanceof PortraitError && error.code === "CANCELLED") throw error;
  }
  return faces.map((face) => {
    if (!face.mesh) return face;
    if (!matte) return { ...face, hairlineFallback: { reason: "unavailable" } };
    const hairline = matteHairline(matte, image.width, image.height, face.mesh);
    return hairline ? { ...face, matteHairline: hairline } : { ...face, hairlineFallback: { reason: "no-person" } };
  });
}

/** The models that found these faces' hairlines (for the result's list of models). */
export function matteModels(faces: readonly Face[]): string[] {
  return faces.some((face) => face.matteHairline) ? [MATTE_MODEL_ID] : [];
}

export interface HairlineFallbackNote {
  readonly code: "HAIRLINE_FALLBACK";
  readonly message: string;
  readonly data: { readonly faces: readonly HairlineFallback[] };
}

/** The pipeline's notes: one for meshed faces whose hairline is the face oval's arc, none otherwise. */
export function hairlineFallbackNotes(faces: readonly Face[]): HairlineFallbackNote[] {
  const fallbacks = faces.flatMap((face) => (face.hairlineFallback ? [face.hairlineFallback] : []));
  if (fallbacks.length === 0) return [];
  const reasons = [...new Set(fallbacks.map((fallback) => REASON_TEXT[fallback.reason]))].join("; ");
  const who = fallbacks.length === 1 ? "One face's hairline follows" : `${fallbacks.length} faces' hairlines follow`;
  return [{ code: "HAIRLINE_FALLBACK", message: `${who} the face mesh's forehead arc instead of the person matte: ${reasons}.`, data: { faces: fallbacks } }];
}

const REASON_TEXT: Readonly<Record<HairlineFallback["reason"], string>> = {
  unavailable: "the person matte model could not run (run `portrait-upscale models verify --repair`)",
  "no-person": "the matte found no head outline above the face",
};

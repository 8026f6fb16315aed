/**
 * Aligning a face for a face-restore model and mapping back: a similarity transform
 * (rotation, uniform scale, shift) from the detector's keypoints to the 512×512 template the
 * GFPGAN family was trained on (FFHQ alignment), fitted by least squares, and bilinear
 * sampling through it in either direction.
 */
import type { Face } from "../portrait/faces";
import { bilinearTap, sampleTap } from "../image/bilinear";
import type { RgbImage } from "../image/image";

/** The aligned face's side. */
export const ALIGNED_SIZE = 512;

/**
 * Where the eyes, nose tip and mouth centre sit in the 512² template (GFPGAN's FFHQ
 * template; the mouth centre is the middle of its two mouth corners). The image-left eye is
 * the subject's right, BlazeFace's `rightEye`.
 */
const TEMPLATE = {
  rightEye: { x: 192.98, y: 239.95 },
  leftEye: { x: 318.9, y: 240.19 },
  noseTip: { x: 256.63, y: 314.02 },
  mouth: { x: 257.18, y: 371.28 },
} as const;

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty: image pixels → template pixels. */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

/**
 * The least-squares similarity taking the face's keypoints onto the template (pixel centres
 * at +0.5 on both sides).
 *
 * @example const t = alignmentOf(face); applySimilarity(t, face.keypoints.rightEye) // ≈ { x: 193, y: 240 }
 */
export function alignmentOf(face: Face): Similarity {
  const names = ["rightEye", "leftEye", "noseTip", "mouth"] as const;
  const src = names.map((n) => face.keypoints[n]);
  const dst = names.map((n) => TEMPLATE[n]);
  const mean = (pts: readonly { x: number; y: number }[]): { x: number; y: number } => ({
    x: pts.reduce((s, p) => s + p.x, 0) / pts.length,
    y: pts.reduce((s, p) => s + p.y, 0) / pts.length,
  });
  const ms = mean(src);
  const md = mean(dst);
  let sxx = 0;
  let sab = 0;
  let sba = 0;
  for (let i = 0; i < src.length; i++) {
    const x = src[i].x - ms.x;
    const y = src[i].y - ms.y;
    const u = dst[i].x - md.x;
    const v = dst[i].y - md.y;
    sxx += x * x + y * y;
    sab += x * u + y * v;
    sba += x * v - y * u;
  }
  const a = sab / sxx;
  const b = sba / sxx;
  return { a, b, tx: md.x - (a * ms.x - b * ms.y), ty: md.y - (b * ms.x + a * ms.y) };
}

/** Maps an image point into the template. */
export function applySimilarity(t: Similarity, p: { readonly x: number; readonly y: number }): { x: number; y: number } {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

/** The inverse transform: template → image. */
export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b;
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

/** Bilinear sample of channel `c` at (x, y) in pixel-centre coordinates, edges clamped. */
export function sampleBilinear(image: RgbImage, c: number, x: number, y: number): number {
  const { width: w, height: h } = image;
  return sampleTap(image.rgb, c * w * h, bilinearTap(x - 0.5, y - 0.5, w, h));
}

/**
 * The aligned 512×512 face: every template pixel sampled from the image through the
 * inverse of `t`.
 */
export function warpToTemplate(image: RgbImage, t: Similarity): RgbImage {
  const inverse = invertSimilarity(t);
  const n = ALIGNED_SIZE * ALIGNED_SIZE;
  const rgb = new Float32Array(3 * n);
  for (let v = 0; v < ALIGNED_SIZE; v++)
    for (let u = 0; u < ALIGNED_SIZE; u++) {
      const p = applySimilarity(inverse, { x: u + 0.5, y: v + 0.5 });
      for (let c = 0; c < 3; c++) rgb[c * n + v * ALIGNED_SIZE + u] = sampleBilinear(image, c, p.x, p.y);
    }
  return { width: ALIGNED_SIZE, height: ALIGNED_SIZE, rgb };
}

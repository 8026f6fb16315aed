/**
 * The face-restore stage, for a model the user brings (GFPGAN-, CodeFormer- or
 * RestoreFormer-style; we ship none): each face is aligned to the 512² template, restored,
 * its colour matched to the aligned original (mean per channel inside the face, so a model
 * that drifts tone does not change the skin), and pasted back through the inverse transform
 * with a feathered elliptical mask, mixed in by `strength` (0 keeps the image, 1 the restored
 * face inside the mask).
 */
import { invalidParameter } from "@portrait-upscale/shared";
import type { InferencePool, InferenceResult } from "../inference/index";
import type { Face } from "../portrait/faces";
import type { RgbImage } from "../image/image";
import { ALIGNED_SIZE, alignmentOf, applySimilarity, invertSimilarity, sampleBilinear, warpToTemplate, type Similarity } from "./align";

/** Restores one aligned 512×512 face (RGB 0..1 in and out). */
export type RestoreFace = (aligned: RgbImage, signal?: AbortSignal) => Promise<RgbImage>;

/**
 * The face inside the template: an ellipse around the eyes, nose and mouth, down to the chin,
 * feathered over its outer 15 % so the seam falls on skin, not on a feature. It stays inside
 * the template, where the restored face has pixels.
 */
const MASK = { cx: 256, cy: 290, rx: 190, ry: 215, feather: 0.15 } as const;

/** The paste weight (0..1) at a template point. */
export function faceMaskWeight(u: number, v: number): number {
  const d = Math.hypot((u - MASK.cx) / MASK.rx, (v - MASK.cy) / MASK.ry);
  const t = Math.min(1, Math.max(0, (1 - d) / MASK.feather));
  return t * t * (3 - 2 * t);
}

/**
 * Restores every face of `image` (faces in `image`'s pixels) with `restore`, mixed in by
 * `strength`. Pure apart from the model call; the input is not modified.
 *
 * @example const restored = await restoreFaces(upscaled, scaledFaces, faceRestoreRunner(pool, "user:faces", [-1, 1]), { strength: 0.7 });
 */
export async function restoreFaces(
  image: RgbImage,
  faces: readonly Face[],
  restore: RestoreFace,
  options: { readonly strength: number; readonly signal?: AbortSignal; readonly onFace?: (done: number) => void },
): Promise<RgbImage> {
  const { strength } = options;
  if (!(strength >= 0 && strength <= 1)) throw invalidParameter("a number from 0 to 1", "strength", strength);
  const out: RgbImage = { ...image, rgb: image.rgb.slice() };
  if (strength === 0) return out;
  for (const [k, face] of faces.entries()) {
    const t = alignmentOf(face);
    const aligned = warpToTemplate(image, t);
    const restored = matchColour(await restore(aligned, options.signal), aligned);
    paste(out, image, restored, t, strength);
    options.onFace?.(k + 1);
  }
  return out;
}

/** Shifts each channel of `restored` so its mean inside the face mask equals `original`'s. */
export function matchColour(restored: RgbImage, original: RgbImage): RgbImage {
  const n = ALIGNED_SIZE * ALIGNED_SIZE;
  const sums = [0, 0, 0, 0, 0, 0];
  let weight = 0;
  for (let v = 0; v < ALIGNED_SIZE; v++)
    for (let u = 0; u < ALIGNED_SIZE; u++) {
      const w = faceMaskWeight(u + 0.5, v + 0.5);
      if (w === 0) continue;
      const i = v * ALIGNED_SIZE + u;
      weight += w;
      for (let c = 0; c < 3; c++) {
        sums[c] += w * restored.rgb[c * n + i];
        sums[3 + c] += w * original.rgb[c * n + i];
      }
    }
  const rgb = restored.rgb.slice();
  for (let c = 0; c < 3; c++) {
    const shift = (sums[3 + c] - sums[c]) / weight;
    for (let i = 0; i < n; i++) rgb[c * n + i] += shift;
  }
  return { width: restored.width, height: restored.height, rgb };
}

/** Mixes the restored face into `out` wherever the mask reaches, through the inverse alignment. */
function paste(out: RgbImage, original: RgbImage, restored: RgbImage, t: Similarity, strength: number): void {
  const inverse = invertSimilarity(t);
  const corners = [
    [0, 0],
    [ALIGNED_SIZE, 0],
    [0, ALIGNED_SIZE],
    [ALIGNED_SIZE, ALIGNED_SIZE],
  ].map(([u, v]) => applySimilarity(inverse, { x: u, y: v }));
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))));
  const x1 = Math.min(original.width, Math.ceil(Math.max(...corners.map((p) => p.x))));
  const y1 = Math.min(original.height, Math.ceil(Math.max(...corners.map((p) => p.y))));
  const n = original.width * original.height;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const p = applySimilarity(t, { x: x + 0.5, y: y + 0.5 });
      const w = strength * faceMaskWeight(p.x, p.y);
      if (w === 0) continue;
      const i = y * original.width + x;
      for (let c = 0; c < 3; c++) {
        const before = out.rgb[c * n + i];
        out.rgb[c * n + i] = before + w * (sampleBilinear(restored, c, p.x, p.y) - before);
      }
    }
}

/**
 * A {@link RestoreFace} running a brought model on the inference pool: RGB 0..1 is mapped to
 * the model's range (`[-1, 1]` for GFPGAN-style exports) and back, and clamped.
 */
export function faceRestoreRunner(
  pool: InferencePool,
  modelId: string,
  range: readonly [number, number],
  onResult?: (result: InferenceResult) => void,
): RestoreFace {
  const [low, high] = range;
  return async (aligned, signal) => {
    const input = aligned.rgb.map((v) => low + (high - low) * v);
    const result = await pool.run(modelId, [{ data: input, dims: [1, 3, ALIGNED_SIZE, ALIGNED_SIZE] }], { signal });
    onResult?.(result);
    const output = result.outputs[result.outputNames[0]].data as Float32Array;
    return { width: ALIGNED_SIZE, height: ALIGNED_SIZE, rgb: output.map((v) => Math.min(1, Math.max(0, (v - low) / (high - low)))) };
  };
}

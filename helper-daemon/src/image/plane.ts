/**
 * One float plane (a luma channel, a mask, an error map) and luma, the one conversion from
 * colour to a plane. Everything stays float32 and deterministic.
 */
import type { RgbImage } from "./image";

/** One float plane, row-major. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * The luma weights, Rec. 601, used everywhere a colour image becomes one plane: the blend
 * (which changes only luma), the metrics (PSNR-Y is reported in Rec. 601 in the
 * super-resolution literature, so our numbers compare with published ones) and grey output.
 * Rec. 709's weights would match sRGB primaries better, but for a grey image R = G = B and
 * both give the same value, and elsewhere one convention keeps the metrics and the blend agreeing.
 */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Rec. 601 luma of an RGB image. */
export function luma(image: RgbImage): Plane {
  const n = image.width * image.height;
  const out = new Float32Array(n);
  const { rgb } = image;
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let i = 0; i < n; i++) out[i] = wr * rgb[i] + wg * rgb[n + i] + wb * rgb[2 * n + i];
  return { width: image.width, height: image.height, data: out };
}

/** Applies `fn` to each of the three channels, returning a new image (of `fn`'s output size). */
export function mapChannels(image: RgbImage, fn: (plane: Plane, c: number) => Plane): RgbImage {
  const n = image.width * image.height;
  let out: RgbImage | undefined;
  for (let c = 0; c < 3; c++) {
    const result = fn({ width: image.width, height: image.height, data: image.rgb.subarray(c * n, (c + 1) * n) }, c);
    out ??= { width: result.width, height: result.height, rgb: new Float32Array(3 * result.width * result.height) };
    out.rgb.set(result.data, c * result.width * result.height);
  }
  return out!;
}

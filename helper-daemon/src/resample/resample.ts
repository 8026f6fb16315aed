/**
 * Separable resampling of planar float images: a real Lanczos-3 (enlarging and, with a
 * widened kernel, antialiased reduction) and an exact area average for reduction.
 * Deterministic; no clamping (Lanczos overshoots slightly near edges; encoding clamps).
 */
import { invalidParameter } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";

/** The resampling filters. `area` averages exactly the covered source area (for reduction). */
export type ResampleFilter = "lanczos3" | "area";

/** Per output position of one axis: `taps` source indices (edge-clamped) and their weights. */
interface AxisContributions {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

const LANCZOS_SUPPORT = 3;

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function lanczos3(x: number): number {
  return x > -LANCZOS_SUPPORT && x < LANCZOS_SUPPORT ? sinc(x) * sinc(x / LANCZOS_SUPPORT) : 0;
}

function lanczosContributions(inLength: number, outLength: number): AxisContributions {
  const scale = outLength / inLength;
  // Reducing widens the kernel by the reduction factor: that is the antialiasing.
  const stretch = Math.max(1, 1 / scale);
  const radius = LANCZOS_SUPPORT * stretch;
  const taps = Math.ceil(2 * radius) + 1;
  const index = new Int32Array(outLength * taps);
  const weight = new Float32Array(outLength * taps);
  for (let o = 0; o < outLength; o++) {
    const centre = (o + 0.5) / scale - 0.5;
    const first = Math.ceil(centre - radius);
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const w = lanczos3((first + k - centre) / stretch);
      weight[o * taps + k] = w;
      index[o * taps + k] = Math.min(inLength - 1, Math.max(0, first + k));
      sum += w;
    }
    for (let k = 0; k < taps; k++) weight[o * taps + k] /= sum;
  }
  return { taps, index, weight };
}

function areaContributions(inLength: number, outLength: number): AxisContributions {
  const step = inLength / outLength;
  const taps = Math.ceil(step) + 1;
  const index = new Int32Array(outLength * taps);
  const weight = new Float32Array(outLength * taps);
  for (let o = 0; o < outLength; o++) {
    const from = o * step;
    const to = (o + 1) * step;
    const first = Math.floor(from);
    for (let k = 0; k < taps; k++) {
      const j = first + k;
      const covered = Math.max(0, Math.min(to, j + 1) - Math.max(from, j));
      weight[o * taps + k] = covered / step;
      index[o * taps + k] = Math.min(inLength - 1, j);
    }
  }
  return { taps, index, weight };
}

function contributions(filter: ResampleFilter, inLength: number, outLength: number): AxisContributions {
  return filter === "area" ? areaContributions(inLength, outLength) : lanczosContributions(inLength, outLength);
}

/**
 * Resizes `planes` consecutive planes of `width`×`height` (NCHW without N) to `outWidth`×`outHeight`.
 * @example
 * const bigger = resamplePlanes(image.rgb, 3, 64, 64, 128, 128, "lanczos3");
 */
export function resamplePlanes(
  source: Float32Array,
  planes: number,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  filter: ResampleFilter = "lanczos3",
): Float32Array {
  const out = new Float32Array(planes * outWidth * outHeight);
  if (width === outWidth && height === outHeight) {
    out.set(source.subarray(0, out.length));
    return out;
  }
  const horizontal = contributions(filter, width, outWidth);
  const vertical = contributions(filter, height, outHeight);
  // Horizontal pass into a scratch buffer of one plane, then vertical pass row by row.
  const scratch = new Float32Array(outWidth * height);
  const row = new Float32Array(outWidth);
  for (let p = 0; p < planes; p++) {
    const plane = source.subarray(p * width * height, (p + 1) * width * height);
    const { taps, index, weight } = horizontal;
    for (let y = 0; y < height; y++) {
      const rowStart = y * width;
      const outStart = y * outWidth;
      for (let x = 0; x < outWidth; x++) {
        let sum = 0;
        const base = x * taps;
        for (let k = 0; k < taps; k++) sum += plane[rowStart + index[base + k]] * weight[base + k];
        scratch[outStart + x] = sum;
      }
    }
    const target = out.subarray(p * outWidth * outHeight, (p + 1) * outWidth * outHeight);
    for (let y = 0; y < outHeight; y++) {
      row.fill(0);
      const base = y * vertical.taps;
      for (let k = 0; k < vertical.taps; k++) {
        const w = vertical.weight[base + k];
        if (w === 0) continue;
        const from = vertical.index[base + k] * outWidth;
        for (let x = 0; x < outWidth; x++) row[x] += scratch[from + x] * w;
      }
      target.set(row, y * outWidth);
    }
  }
  return out;
}

/**
 * Resizes an image (colour and alpha) to exactly `width`×`height`. Alpha is clamped to 0..1
 * because ringing on a hard edge would otherwise create negative coverage.
 * @example
 * const half = resampleImage(image, { width: 32, height: 32, filter: "area" });
 */
export function resampleImage(image: RgbImage, size: { width: number; height: number; filter?: ResampleFilter }): RgbImage {
  const { width, height } = size;
  const filter = size.filter ?? "lanczos3";
  if (!Number.isInteger(width) || width < 1) throw invalidParameter("a positive integer", "width", width);
  if (!Number.isInteger(height) || height < 1) throw invalidParameter("a positive integer", "height", height);
  if (filter !== "lanczos3" && filter !== "area") throw invalidParameter('"lanczos3" or "area"', "filter", filter);
  const rgb = resamplePlanes(image.rgb, 3, image.width, image.height, width, height, filter);
  if (image.alpha === undefined) return { width, height, rgb };
  return { width, height, rgb, alpha: resampleAlpha(image.alpha, image.width, image.height, width, height, filter) };
}

/** Resizes one alpha plane and clamps it to 0..1. */
export function resampleAlpha(
  alpha: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  filter: ResampleFilter = "lanczos3",
): Float32Array {
  const out = resamplePlanes(alpha, 1, width, height, outWidth, outHeight, filter);
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    out[i] = a < 0 ? 0 : a > 1 ? 1 : a;
  }
  return out;
}

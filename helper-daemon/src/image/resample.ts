/**
 * Separable resampling of planar float images, the one implementation: a real Lanczos-3
 * (enlarging and, with a widened kernel, antialiased reduction), linear, Catmull-Rom cubic,
 * and an exact area average for reduction. Edges are clamped; sums are taken in double
 * precision; no clamping of values (Lanczos overshoots slightly near edges; encoding clamps),
 * except alpha, which is coverage.
 */
import { invalidParameter } from "@portrait-upscale/shared";
import type { RgbImage } from "./image";
import type { Plane } from "./plane";

/** The resampling filters. `area` averages exactly the covered source area (for reduction). */
export type ResampleFilter = "lanczos3" | "linear" | "cubic" | "area";
const FILTER_NAMES: readonly ResampleFilter[] = ["lanczos3", "linear", "cubic", "area"];

/** Per output position of one axis: `taps` source indices (edge-clamped) and their weights. */
interface AxisContributions {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

interface Kernel {
  readonly support: number;
  readonly weight: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

const KERNELS: Readonly<Record<Exclude<ResampleFilter, "area">, Kernel>> = {
  lanczos3: { support: 3, weight: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  linear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  // Catmull-Rom (a = −0.5): interpolating, mild overshoot.
  cubic: {
    support: 2,
    weight: (x) => {
      const t = Math.abs(x);
      if (t < 1) return 1.5 * t * t * t - 2.5 * t * t + 1;
      if (t < 2) return -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2;
      return 0;
    },
  },
};

function kernelContributions(kernel: Kernel, inLength: number, outLength: number): AxisContributions {
  const scale = outLength / inLength;
  // Reducing widens the kernel by the reduction factor: that is the antialiasing.
  const stretch = Math.max(1, 1 / scale);
  const radius = kernel.support * stretch;
  const taps = Math.ceil(2 * radius) + 1;
  const index = new Int32Array(outLength * taps);
  const weight = new Float32Array(outLength * taps);
  for (let o = 0; o < outLength; o++) {
    const centre = (o + 0.5) / scale - 0.5;
    const first = Math.floor(centre - radius) + 1;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const w = kernel.weight((first + k - centre) / stretch);
      weight[o * taps + k] = w;
      index[o * taps + k] = Math.min(inLength - 1, Math.max(0, first + k));
      sum += w;
    }
    for (let k = 0; k < taps; k++) weight[o * taps + k] /= sum || 1;
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

function contributions(kernel: ResampleFilter, inLength: number, outLength: number): AxisContributions {
  return kernel === "area" ? areaContributions(inLength, outLength) : kernelContributions(KERNELS[kernel], inLength, outLength);
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
  kernel: ResampleFilter = "lanczos3",
): Float32Array {
  const out = new Float32Array(planes * outWidth * outHeight);
  if (width === outWidth && height === outHeight) {
    out.set(source.subarray(0, out.length));
    return out;
  }
  const horizontal = contributions(kernel, width, outWidth);
  const vertical = contributions(kernel, height, outHeight);
  // Horizontal pass into a scratch buffer of one plane, then the vertical pass row by row.
  const scratch = new Float32Array(outWidth * height);
  const row = new Float64Array(outWidth);
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

/** Resamples one plane to any size. */
export function resizePlane(plane: Plane, width: number, height: number, kernel: ResampleFilter): Plane {
  return { width, height, data: resamplePlanes(plane.data, 1, plane.width, plane.height, width, height, kernel) };
}

/**
 * Resizes an image (colour and alpha) to exactly `width`×`height`. Alpha is clamped to 0..1
 * because ringing on a hard edge would otherwise create negative coverage.
 * @example
 * const half = resampleImage(image, { width: 32, height: 32, filter: "area" });
 */
export function resampleImage(image: RgbImage, size: { width: number; height: number; filter?: ResampleFilter }): RgbImage {
  const { width, height } = size;
  const kernel = size.filter ?? "lanczos3";
  if (!Number.isInteger(width) || width < 1) throw invalidParameter("a positive integer", "width", width);
  if (!Number.isInteger(height) || height < 1) throw invalidParameter("a positive integer", "height", height);
  if (!FILTER_NAMES.includes(kernel)) throw invalidParameter(`one of ${FILTER_NAMES.map((k) => `"${k}"`).join(", ")}`, "filter", kernel);
  const rgb = resamplePlanes(image.rgb, 3, image.width, image.height, width, height, kernel);
  if (image.alpha === undefined) return { width, height, rgb };
  return { width, height, rgb, alpha: resampleAlpha(image.alpha, image.width, image.height, width, height, kernel) };
}

/** Resizes one alpha plane and clamps it to 0..1. */
export function resampleAlpha(
  alpha: Float32Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  kernel: ResampleFilter = "lanczos3",
): Float32Array {
  const out = resamplePlanes(alpha, 1, width, height, outWidth, outHeight, kernel);
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    out[i] = a < 0 ? 0 : a > 1 ? 1 : a;
  }
  return out;
}

/**
 * Full-reference quality metrics for an upscaled image against the original it should
 * reproduce. Both images must have the same size; a region (e.g. the face) and a border
 * to ignore may be given. All are pure functions over planar float RGB 0..1.
 */
import { invalidParameter } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { gaussianBlur, gradientMagnitude, laplacian, localMinMax } from "../image/filters";
import { cropImage } from "../image/crop";
import { ciede2000, toLab } from "./colour";

/** A rectangle in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface MetricOptions {
  /** Only this rectangle is measured (after computing any neighbourhood on the whole image). */
  readonly region?: Rect;
  /** Pixels at the image border to ignore (models and resamplers guess there). */
  readonly border?: number;
  /** Blur σ before ΔE (default 1); the quality bench uses half the scale to compare colour, not texture. */
  readonly deltaEBlur?: number;
  /**
   * A 0..1 weight per pixel, at the images' size (a feathered region mask): halo, texture
   * ratio and ΔE become weighted means over the measured rectangle (and banding a weighted
   * count), so a region's score is its feature's, not its bounding box's.
   */
  readonly weights?: Plane;
}

/** The weight of pixel `i`: the option's plane, else 1 everywhere. */
function weighter(options: MetricOptions, width: number, height: number): (i: number) => number {
  const weights = options.weights;
  if (!weights) return () => 1;
  if (weights.width !== width || weights.height !== height) throw invalidParameter(`a ${width}×${height} weight plane`, "weights", `${weights.width}×${weights.height}`);
  return (i) => weights.data[i];
}

/** Every metric the quality bench prints, for one image pair and one region. */
export interface QualityReport {
  readonly psnrRgb: number;
  readonly psnrY: number;
  readonly ssimY: number;
  /** RMS of the luma Laplacian, output ÷ reference: 1 right, < 0.6 plastic, > 1.4 invented. */
  readonly textureRatio: number;
  /** Correlation of the two luma Laplacians: does the detail sit where the original's does? */
  readonly detailCorrelation: number;
  /** Mean overshoot (0..1 units) beyond the reference's local 5×5 range at its strongest edges. */
  readonly halo: number;
  /** Mean CIEDE2000 after a light blur (colour shift, not texture). */
  readonly deltaE: number;
}

function assertSameSize(a: RgbImage, b: RgbImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw invalidParameter(`an image of ${b.width}×${b.height}`, "output", `${a.width}×${a.height}`);
  }
}

/** The measured rectangle: the region (or whole image) minus the border, clipped. */
function measuredRect(width: number, height: number, options: MetricOptions): Rect {
  const border = options.border ?? 0;
  const r = options.region ?? { x: 0, y: 0, width, height };
  const x0 = Math.max(border, Math.round(r.x));
  const y0 = Math.max(border, Math.round(r.y));
  const x1 = Math.min(width - border, Math.round(r.x + r.width));
  const y1 = Math.min(height - border, Math.round(r.y + r.height));
  if (x1 <= x0 || y1 <= y0) throw invalidParameter("a region inside the image", "region", JSON.stringify(r));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function* rectIndices(width: number, rect: Rect): Generator<number> {
  for (let y = rect.y; y < rect.y + rect.height; y++) for (let x = rect.x; x < rect.x + rect.width; x++) yield y * width + x;
}

function mseToPsnr(mse: number): number {
  return mse <= 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** PSNR over the three channels, in dB (peak 1). Identical images give Infinity. */
export function psnrRgb(output: RgbImage, reference: RgbImage, options: MetricOptions = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  const n = reference.width * reference.height;
  let sum = 0;
  let count = 0;
  for (const i of rectIndices(reference.width, rect)) {
    for (let c = 0; c < 3; c++) {
      const d = clamp01(output.rgb[c * n + i]) - clamp01(reference.rgb[c * n + i]);
      sum += d * d;
    }
    count += 3;
  }
  return mseToPsnr(sum / count);
}

/** PSNR of Rec. 601 luma, in dB. */
export function psnrY(output: RgbImage, reference: RgbImage, options: MetricOptions = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  const a = luma(clampImage(output)).data;
  const b = luma(clampImage(reference)).data;
  let sum = 0;
  let count = 0;
  for (const i of rectIndices(reference.width, rect)) {
    const d = a[i] - b[i];
    sum += d * d;
    count++;
  }
  return mseToPsnr(sum / count);
}

/** SSIM of luma with the usual Gaussian window (σ 1.5) and constants for a 0..1 range. */
export function ssimY(output: RgbImage, reference: RgbImage, options: MetricOptions = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  const x = luma(clampImage(output));
  const y = luma(clampImage(reference));
  const n = x.data.length;
  const xx = new Float32Array(n);
  const yy = new Float32Array(n);
  const xy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x.data[i] * x.data[i];
    yy[i] = y.data[i] * y.data[i];
    xy[i] = x.data[i] * y.data[i];
  }
  const blur = (data: Float32Array): Float32Array => gaussianBlur({ width: x.width, height: x.height, data }, 1.5).data;
  const mx = blur(x.data);
  const my = blur(y.data);
  const sxx = blur(xx);
  const syy = blur(yy);
  const sxy = blur(xy);
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  let sum = 0;
  let count = 0;
  for (const i of rectIndices(reference.width, rect)) {
    const vx = sxx[i] - mx[i] * mx[i];
    const vy = syy[i] - my[i] * my[i];
    const cxy = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cxy + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
    count++;
  }
  return sum / count;
}

/** Output ÷ reference RMS of the 3×3 luma Laplacian: ≈1 right, < 0.6 plastic, > 1.4 invented. */
export function textureRatio(output: RgbImage, reference: RgbImage, options: MetricOptions = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  const a = laplacian(luma(output)).data;
  const b = laplacian(luma(reference)).data;
  const weight = weighter(options, reference.width, reference.height);
  let sa = 0;
  let sb = 0;
  for (const i of rectIndices(reference.width, rect)) {
    sa += weight(i) * a[i] * a[i];
    sb += weight(i) * b[i] * b[i];
  }
  return sb === 0 ? (sa === 0 ? 1 : Infinity) : Math.sqrt(sa / sb);
}

/** Pearson correlation of the output's and the reference's luma Laplacians (−1..1). */
export function detailCorrelation(output: RgbImage, reference: RgbImage, options: MetricOptions = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  return correlation(laplacian(luma(output)).data, laplacian(luma(reference)).data, reference.width, rect);
}

function correlation(a: Float32Array, b: Float32Array, width: number, rect: Rect): number {
  let sa = 0;
  let sb = 0;
  let n = 0;
  for (const i of rectIndices(width, rect)) {
    sa += a[i];
    sb += b[i];
    n++;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cab = 0;
  let caa = 0;
  let cbb = 0;
  for (const i of rectIndices(width, rect)) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    cab += da * db;
    caa += da * da;
    cbb += db * db;
  }
  return caa === 0 || cbb === 0 ? 0 : cab / Math.sqrt(caa * cbb);
}

/**
 * Halo: the mean distance (luma, 0..1) by which the output leaves the reference's local
 * 5×5 min/max, over the reference's strongest edges (the top `edgeFraction` of gradient
 * magnitude, at least a 0.05 step). 0 means no ringing at all.
 */
export function halo(output: RgbImage, reference: RgbImage, options: MetricOptions & { edgeFraction?: number } = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  const out = luma(output).data;
  const ref = luma(reference);
  const { min, max } = localMinMax(ref, 2);
  // Overshoot shows up beside an edge, not on it: dilate the edge set by the same window.
  const grad = gradientMagnitude(ref);
  const values: number[] = [];
  for (const i of rectIndices(reference.width, rect)) values.push(grad.data[i]);
  values.sort((p, q) => p - q);
  const cut = Math.max(0.025, values[Math.floor(values.length * (1 - (options.edgeFraction ?? 0.1)))] ?? Infinity);
  const strong = new Float32Array(grad.data.length);
  for (let i = 0; i < strong.length; i++) strong[i] = grad.data[i] >= cut ? 1 : 0;
  const near = localMinMax({ width: ref.width, height: ref.height, data: strong }, 2).max.data;
  const weight = weighter(options, reference.width, reference.height);
  let sum = 0;
  let count = 0;
  for (const i of rectIndices(reference.width, rect)) {
    if (near[i] === 0) continue;
    sum += weight(i) * (Math.max(0, out[i] - max.data[i]) + Math.max(0, min.data[i] - out[i]));
    count += weight(i);
  }
  return count === 0 ? 0 : sum / count;
}

/** Mean CIEDE2000 between the two images after a Gaussian blur (σ `blur`, default 1). */
export function meanDeltaE(output: RgbImage, reference: RgbImage, options: MetricOptions & { blur?: number } = {}): number {
  assertSameSize(output, reference);
  const rect = measuredRect(reference.width, reference.height, options);
  const sigma = options.blur ?? 1;
  const a = toLab(blurImage(clampImage(output), sigma));
  const b = toLab(blurImage(clampImage(reference), sigma));
  const n = reference.width * reference.height;
  const weight = weighter(options, reference.width, reference.height);
  let sum = 0;
  let count = 0;
  for (const i of rectIndices(reference.width, rect)) {
    if (weight(i) === 0) continue;
    sum += weight(i) * ciede2000(a[i], a[n + i], a[2 * n + i], b[i], b[n + i], b[2 * n + i]);
    count += weight(i);
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * Banding: the number of visible steps inside smooth gradients, found along rows and
 * columns: a change of at least `step` (default ½ of an 8-bit level) between runs of at
 * least `run` (default 4) pixels that are flat to within a tenth of that step. A smooth float
 * gradient has none; the same gradient quantised coarsely has one per level. `gap` (default
 * 0) lets the two runs be up to that many pixels apart: where texture dithers a coarsely
 * quantised gradient, the contour between two flat levels is a few pixels of flicker rather
 * than one clean step. With `weights` each step counts by the weight of the pixel it lands
 * on (the middle of the gap).
 */
export function bandingCount(image: RgbImage, options: { step?: number; run?: number; gap?: number; region?: Rect; weights?: Plane } = {}): number {
  const step = options.step ?? 0.5 / 255;
  const run = options.run ?? 4;
  const gap = options.gap ?? 0;
  const y = luma(image);
  const rect = measuredRect(image.width, image.height, { region: options.region });
  const weight = weighter(options, image.width, image.height);
  let count = 0;
  const scan = (index: (k: number) => number, length: number): void => {
    const get = (k: number): number => y.data[index(k)];
    // The last flat run of at least `run` pixels: where it ended (exclusive) and its last value.
    let previous: { end: number; value: number } | undefined;
    let start = 0;
    for (let k = 1; k <= length; k++) {
      if (k < length && Math.abs(get(k) - get(k - 1)) < step / 10) continue;
      if (k - start >= run) {
        if (previous && start - previous.end <= gap) {
          const d = Math.abs(get(start) - previous.value);
          if (d >= step && d < 16 * step) count += weight(index((previous.end + start) >> 1));
        }
        previous = { end: k, value: get(k - 1) };
      }
      start = k;
    }
  };
  for (let j = rect.y; j < rect.y + rect.height; j++) scan((k) => j * image.width + rect.x + k, rect.width);
  for (let i = rect.x; i < rect.x + rect.width; i++) scan((k) => (rect.y + k) * image.width + i, rect.height);
  return count;
}

/** All of {@link QualityReport} for one pair and one region. */
export function measureQuality(output: RgbImage, reference: RgbImage, options: MetricOptions = {}): QualityReport {
  return {
    psnrRgb: psnrRgb(output, reference, options),
    psnrY: psnrY(output, reference, options),
    ssimY: ssimY(output, reference, options),
    textureRatio: textureRatio(output, reference, options),
    detailCorrelation: detailCorrelation(output, reference, options),
    halo: halo(output, reference, options),
    deltaE: meanDeltaE(output, reference, { ...options, blur: options.deltaEBlur ?? 1 }),
  };
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function clampImage(image: RgbImage): RgbImage {
  const rgb = new Float32Array(image.rgb.length);
  for (let i = 0; i < rgb.length; i++) rgb[i] = clamp01(image.rgb[i]);
  return { width: image.width, height: image.height, rgb };
}

function blurImage(image: RgbImage, sigma: number): RgbImage {
  const n = image.width * image.height;
  const rgb = new Float32Array(n * 3);
  for (let c = 0; c < 3; c++) {
    const plane: Plane = { width: image.width, height: image.height, data: image.rgb.subarray(c * n, (c + 1) * n) };
    rgb.set(gaussianBlur(plane, sigma).data, c * n);
  }
  return { width: image.width, height: image.height, rgb };
}

/** A region of an image, for callers that want to look at (or save) what was measured. */
export function regionOf(image: RgbImage, rect: Rect): RgbImage {
  return cropImage(image, { x: Math.round(rect.x), y: Math.round(rect.y), width: Math.round(rect.width), height: Math.round(rect.height) });
}

/**
 * After-upscale texture handling: a light edge-preserving denoise (guided filter) and film
 * grain carried over from the source (measured there, re-synthesised at the output scale
 * from a seeded generator, so the same input always gets the same grain).
 */
import type { Plane } from "../image/plane";
import { boxMean, gaussianBlur, gradientMagnitude, laplacian } from "../image/filters";
import { median } from "../image/statistics";

/**
 * He's guided filter with the plane as its own guide: smooths where local variance is
 * below `eps`, keeps edges above it. O(1) per pixel (box means).
 */
export function guidedSmooth(plane: Plane, radius: number, eps: number): Plane {
  const { width, height, data } = plane;
  const sq = new Float32Array(data.length);
  for (let i = 0; i < sq.length; i++) sq[i] = data[i] * data[i];
  const mean = boxMean(plane, radius).data;
  const meanSq = boxMean({ width, height, data: sq }, radius).data;
  const a = new Float32Array(data.length);
  const b = new Float32Array(data.length);
  for (let i = 0; i < a.length; i++) {
    const variance = Math.max(0, meanSq[i] - mean[i] * mean[i]);
    a[i] = variance / (variance + eps);
    b[i] = mean[i] - a[i] * mean[i];
  }
  const ma = boxMean({ width, height, data: a }, radius).data;
  const mb = boxMean({ width, height, data: b }, radius).data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = ma[i] * data[i] + mb[i];
  return { width, height, data: out };
}

/**
 * Light denoise of luma after upscaling: `amount` 0..1 mixes in a guided-filtered copy
 * whose edge threshold grows with the amount. Skin's micro-texture sits near the threshold
 * at the default 0.1, so it survives (denoising before upscaling is what makes plastic skin).
 */
export function denoiseLuma(plane: Plane, amount: number, scale: number): Plane {
  if (amount <= 0) return plane;
  const radius = Math.max(1, Math.round(scale / 2));
  const sigma = 0.01 + 0.04 * amount;
  const smooth = guidedSmooth(plane, radius, sigma * sigma).data;
  const out = new Float32Array(plane.data.length);
  for (let i = 0; i < out.length; i++) out[i] = plane.data[i] + amount * (smooth[i] - plane.data[i]);
  return { width: plane.width, height: plane.height, data: out };
}

/**
 * The source's grain (noise) standard deviation in luma, from the median absolute 3×3
 * Laplacian over its flattest half: a Laplacian of white noise σ has σ·√20 spread, and the
 * median (÷ 0.6745) ignores edges and texture.
 */
export function estimateGrain(luma: Plane): number {
  const lap = laplacian(luma).data;
  const grad = gradientMagnitude(gaussianBlur(luma, 1)).data;
  // A regular subsample of at most ~250 000 pixels keeps the sort cheap on large photos.
  const stride = Math.max(1, Math.floor(grad.length / 250_000));
  const indices: number[] = [];
  for (let i = 0; i < grad.length; i += stride) indices.push(i);
  const order = indices.sort((p, q) => grad[p] - grad[q] || p - q);
  const flat = order.slice(0, Math.max(1, order.length >> 1)).map((i) => Math.abs(lap[i]));
  if (flat.length === 0) return 0;
  return median(flat, "upper") / 0.6745 / Math.sqrt(20);
}

/** mulberry32: a tiny, fast, seeded generator: identical seeds give identical grain. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Grain for an output of `width`×`height` made `scale`× larger than a source whose grain
 * had standard deviation `sigma`: white noise blurred to the enlarged grain size, then
 * rescaled so its standard deviation is `sigma` again. Deterministic for a given seed.
 */
export function synthesizeGrain(width: number, height: number, sigma: number, scale: number, seed: number): Plane {
  const random = seededRandom(seed);
  const noise = new Float32Array(width * height);
  for (let i = 0; i < noise.length; i += 2) {
    // Box–Muller, both outputs used.
    const u = Math.max(1e-12, random());
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    noise[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < noise.length) noise[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  const grain = gaussianBlur({ width, height, data: noise }, Math.max(0.1, scale * 0.5)).data;
  let energy = 0;
  for (let i = 0; i < grain.length; i++) energy += grain[i] * grain[i];
  const gain = energy > 0 ? sigma / Math.sqrt(energy / grain.length) : 0;
  for (let i = 0; i < grain.length; i++) grain[i] *= gain;
  return { width, height, data: grain };
}

/**
 * Filters over one float plane: separable Gaussian blur, box mean, local extrema, Laplacian
 * and gradient. Deterministic (no threads, no randomness): identical input, identical bytes.
 */
import type { Plane } from "./plane";

/** A normalised 1-D Gaussian kernel, radius ceil(3σ). */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable convolution with a symmetric kernel; edges mirrored so borders are not darkened. */
export function convolveSeparable(plane: Plane, kernel: Float32Array): Plane {
  const { width: w, height: h, data } = plane;
  const r = (kernel.length - 1) >> 1;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const mirror = (i: number, n: number): number => {
    if (n === 1) return 0;
    const period = 2 * n - 2;
    let m = ((i % period) + period) % period;
    if (m >= n) m = period - m;
    return m;
  };
  const xIndex = new Int32Array(w + 2 * r);
  for (let i = 0; i < xIndex.length; i++) xIndex[i] = mirror(i - r, w);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < kernel.length; k++) s += kernel[k] * data[row + xIndex[x + k]];
      tmp[row + x] = s;
    }
  }
  const yIndex = new Int32Array(h + 2 * r);
  for (let i = 0; i < yIndex.length; i++) yIndex[i] = mirror(i - r, h) * w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < kernel.length; k++) s += kernel[k] * tmp[yIndex[y + k] + x];
      out[y * w + x] = s;
    }
  }
  return { width: w, height: h, data: out };
}

/** Gaussian blur; σ ≤ 0 returns a copy. */
export function gaussianBlur(plane: Plane, sigma: number): Plane {
  if (sigma <= 0) return { ...plane, data: plane.data.slice() };
  return convolveSeparable(plane, gaussianKernel(sigma));
}

/** Mean over a (2r+1)² box, edges clamped (running sums: O(1) per pixel). */
export function boxMean(plane: Plane, radius: number): Plane {
  const { width: w, height: h, data } = plane;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(w - 1, x + radius);
      let s = 0;
      for (let i = x0; i <= x1; i++) s += data[row + i];
      tmp[row + x] = s / (x1 - x0 + 1);
    }
  }
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const y0 = Math.max(0, y - radius);
      const y1 = Math.min(h - 1, y + radius);
      let s = 0;
      for (let i = y0; i <= y1; i++) s += tmp[i * w + x];
      out[y * w + x] = s / (y1 - y0 + 1);
    }
  }
  return { width: w, height: h, data: out };
}

/** Local minimum and maximum over a (2r+1)² window, edges clamped. */
export function localMinMax(plane: Plane, radius: number): { min: Plane; max: Plane } {
  const { width: w, height: h, data } = plane;
  const tmin = new Float32Array(w * h);
  const tmax = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let lo = Infinity;
      let hi = -Infinity;
      const x1 = Math.min(w - 1, x + radius);
      for (let i = Math.max(0, x - radius); i <= x1; i++) {
        const v = data[row + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      tmin[row + x] = lo;
      tmax[row + x] = hi;
    }
  }
  const min = new Float32Array(w * h);
  const max = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(h - 1, y + radius);
    for (let x = 0; x < w; x++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = y0; i <= y1; i++) {
        const a = tmin[i * w + x];
        const b = tmax[i * w + x];
        if (a < lo) lo = a;
        if (b > hi) hi = b;
      }
      min[y * w + x] = lo;
      max[y * w + x] = hi;
    }
  }
  return { min: { width: w, height: h, data: min }, max: { width: w, height: h, data: max } };
}

/** 3×3 Laplacian (4-neighbour), edges mirrored. */
export function laplacian(plane: Plane): Plane {
  const { width: w, height: h, data } = plane;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const up = (y === 0 ? Math.min(1, h - 1) : y - 1) * w;
    const down = (y === h - 1 ? Math.max(h - 2, 0) : y + 1) * w;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const left = x === 0 ? Math.min(1, w - 1) : x - 1;
      const right = x === w - 1 ? Math.max(w - 2, 0) : x + 1;
      out[row + x] = data[up + x] + data[down + x] + data[row + left] + data[row + right] - 4 * data[row + x];
    }
  }
  return { width: w, height: h, data: out };
}

/** Gradient magnitude from central differences. */
export function gradientMagnitude(plane: Plane): Plane {
  const { width: w, height: h, data } = plane;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const up = Math.max(0, y - 1) * w;
    const down = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) {
      const gx = data[y * w + Math.min(w - 1, x + 1)] - data[y * w + Math.max(0, x - 1)];
      const gy = data[down + x] - data[up + x];
      out[y * w + x] = 0.5 * Math.hypot(gx, gy);
    }
  }
  return { width: w, height: h, data: out };
}

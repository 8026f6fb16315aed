/**
 * Single-plane float operations the portrait pipeline and the metrics share: luma,
 * separable blurs, resampling, local extrema. Everything stays in float32 and is
 * deterministic (no threads, no randomness), so identical input gives identical bytes.
 */

import type { RgbImage } from "../image/image";

export type { RgbImage };

/** One float plane (a luma channel, a mask, an error map). */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** Rec. 601 luma weights: the convention PSNR-Y is usually reported in. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** A new zero plane. */
export function makePlane(width: number, height: number, fill = 0): Plane {
  const data = new Float32Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

/** A new RGB image from planes or zeros. */
export function makeImage(width: number, height: number, rgb?: Float32Array): RgbImage {
  return { width, height, rgb: rgb ?? new Float32Array(width * height * 3) };
}

/** Channel `c` (0 R, 1 G, 2 B) as a plane view sharing the image's memory. */
export function channel(image: RgbImage, c: number): Plane {
  const n = image.width * image.height;
  return { width: image.width, height: image.height, data: image.rgb.subarray(c * n, (c + 1) * n) };
}

/** Rec. 601 luma of an RGB image. */
export function luma(image: RgbImage): Plane {
  const n = image.width * image.height;
  const out = new Float32Array(n);
  const { rgb } = image;
  for (let i = 0; i < n; i++) out[i] = 0.299 * rgb[i] + 0.587 * rgb[n + i] + 0.114 * rgb[2 * n + i];
  return { width: image.width, height: image.height, data: out };
}

/** Applies `fn` to each of the three channels, returning a new image. */
export function mapChannels(image: RgbImage, fn: (plane: Plane, c: number) => Plane): RgbImage {
  let width = 0;
  let height = 0;
  let rgb = new Float32Array(0);
  for (let c = 0; c < 3; c++) {
    const result = fn(channel(image, c), c);
    if (c === 0) {
      width = result.width;
      height = result.height;
      rgb = new Float32Array(width * height * 3);
    }
    rgb.set(result.data, c * width * height);
  }
  return { width, height, rgb };
}

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

type Kernel = { support: number; weight: (x: number) => number };

const KERNELS = {
  /** Box: with downscaling by an integer factor this is the exact area average. */
  area: { support: 0.5, weight: (x: number) => (x >= -0.5 && x < 0.5 ? 1 : 0) },
  linear: { support: 1, weight: (x: number) => Math.max(0, 1 - Math.abs(x)) },
  cubic: {
    support: 2,
    // Catmull-Rom (a = -0.5): interpolating, mild overshoot.
    weight: (x: number) => {
      const t = Math.abs(x);
      if (t < 1) return 1.5 * t * t * t - 2.5 * t * t + 1;
      if (t < 2) return -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2;
      return 0;
    },
  },
  lanczos3: {
    support: 3,
    weight: (x: number) => {
      if (x === 0) return 1;
      if (Math.abs(x) >= 3) return 0;
      const px = Math.PI * x;
      return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
    },
  },
} satisfies Record<string, Kernel>;

export type ResampleKernel = keyof typeof KERNELS;

interface Taps {
  readonly start: Int32Array;
  readonly count: number;
  readonly weights: Float32Array;
}

function computeTaps(inSize: number, outSize: number, kernel: Kernel): Taps {
  const scale = outSize / inSize;
  // Downscaling stretches the kernel over the input: that is the antialiasing.
  const stretch = scale < 1 ? 1 / scale : 1;
  const support = kernel.support * stretch;
  const count = Math.ceil(support * 2) + 1;
  const start = new Int32Array(outSize);
  const weights = new Float32Array(outSize * count);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) / scale - 0.5;
    const first = Math.floor(centre - support) + 1;
    start[o] = first;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const v = kernel.weight((first + k - centre) / stretch);
      weights[o * count + k] = v;
      sum += v;
    }
    for (let k = 0; k < count; k++) weights[o * count + k] /= sum || 1;
  }
  return { start, count, weights };
}

/** Separable resampling of a plane to any size; edges clamped; antialiased when shrinking. */
export function resizePlane(plane: Plane, width: number, height: number, kernelName: ResampleKernel): Plane {
  if (width === plane.width && height === plane.height) return { ...plane, data: plane.data.slice() };
  const kernel = KERNELS[kernelName];
  const { width: w, height: h, data } = plane;
  const tx = computeTaps(w, width, kernel);
  const ty = computeTaps(h, height, kernel);
  const tmp = new Float32Array(width * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < width; x++) {
      let s = 0;
      const first = tx.start[x];
      for (let k = 0; k < tx.count; k++) {
        const i = Math.min(w - 1, Math.max(0, first + k));
        s += tx.weights[x * tx.count + k] * data[row + i];
      }
      tmp[y * width + x] = s;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const first = ty.start[y];
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < ty.count; k++) {
        const i = Math.min(h - 1, Math.max(0, first + k));
        s += ty.weights[y * ty.count + k] * tmp[i * width + x];
      }
      out[y * width + x] = s;
    }
  }
  return { width, height, data: out };
}

/** Resamples every channel (and alpha, if any) of an image. */
export function resizeImage(image: RgbImage, width: number, height: number, kernel: ResampleKernel): RgbImage {
  const resized = mapChannels(image, (p) => resizePlane(p, width, height, kernel));
  if (!image.alpha) return resized;
  const alpha = resizePlane({ width: image.width, height: image.height, data: image.alpha }, width, height, kernel).data;
  return { ...resized, alpha };
}

/** Crops a rectangle (clamped to the image). */
export function cropImage(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  const n = image.width * image.height;
  const rgb = new Float32Array(width * height * 3);
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < height; j++) {
      const sy = Math.min(image.height - 1, Math.max(0, y + j));
      for (let i = 0; i < width; i++) {
        const sx = Math.min(image.width - 1, Math.max(0, x + i));
        rgb[c * width * height + j * width + i] = image.rgb[c * n + sy * image.width + sx];
      }
    }
  }
  return { width, height, rgb };
}

/** Crops a rectangle of a plane (clamped). */
export function cropPlane(plane: Plane, x: number, y: number, width: number, height: number): Plane {
  const data = new Float32Array(width * height);
  for (let j = 0; j < height; j++) {
    const sy = Math.min(plane.height - 1, Math.max(0, y + j));
    for (let i = 0; i < width; i++) {
      const sx = Math.min(plane.width - 1, Math.max(0, x + i));
      data[j * width + i] = plane.data[sy * plane.width + sx];
    }
  }
  return { width, height, data };
}

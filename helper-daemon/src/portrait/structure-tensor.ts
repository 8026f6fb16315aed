/** The structure tensor, the one orientation measure the 4× stages (texture agreement, hair strands, fringe) read. */
import type { Plane } from "../image/plane";
import { gaussianBlur } from "../image/filters";

/** Per pixel, the smoothed outer product of the gradient: xx = gx², xy = gx·gy, yy = gy². */
export interface Tensor {
  readonly xx: Float32Array;
  readonly xy: Float32Array;
  readonly yy: Float32Array;
}

/**
 * The structure tensor of a plane: central-difference gradients' outer product (edges
 * clamped), Gaussian-smoothed at `sigma` pixels.
 *
 * @example const { xx, xy, yy } = structureTensor(sourceLuma, 1);
 */
export function structureTensor(plane: Plane, sigma: number): Tensor {
  const { width: w, height: h, data } = plane;
  const xx = new Float32Array(w * h);
  const xy = new Float32Array(w * h);
  const yy = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const up = Math.max(0, y - 1) * w;
    const down = Math.min(h - 1, y + 1) * w;
    for (let x = 0; x < w; x++) {
      const gx = 0.5 * (data[y * w + Math.min(w - 1, x + 1)] - data[y * w + Math.max(0, x - 1)]);
      const gy = 0.5 * (data[down + x] - data[up + x]);
      const i = y * w + x;
      xx[i] = gx * gx;
      xy[i] = gx * gy;
      yy[i] = gy * gy;
    }
  }
  const blur = (d: Float32Array) => gaussianBlur({ width: w, height: h, data: d }, sigma).data;
  return { xx: blur(xx), xy: blur(xy), yy: blur(yy) };
}

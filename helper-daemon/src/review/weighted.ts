/**
 * Weighted statistics over a measured rectangle: every review score is a mean over its
 * region's rectangle weighted by the region's feathered mask, so a crop's corners (cheek,
 * background) count for nothing and the feature's edge counts by how much of it is feature.
 * Without weights every pixel counts 1, which is the plain rectangle mean.
 */
import type { Plane } from "../image/plane";
import type { PixelRect } from "./regions";

/** A rectangle inside a `width`-wide image, and optional 0..1 weights at that image's size. */
export interface WeightedArea {
  readonly rect: PixelRect;
  readonly width: number;
  readonly weights?: Plane;
}

/**
 * The weighted mean of `value(i)` (i indexes the image) over the area; pixels where `value`
 * is undefined are left out. 0 when nothing has weight.
 *
 * @example weightedMean({ rect, width: 64, weights }, (i) => diff[i]);
 */
export function weightedMean(area: WeightedArea, value: (index: number) => number | undefined): number {
  const { rect, width, weights } = area;
  let sum = 0;
  let total = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++)
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const i = y * width + x;
      const w = weights ? weights.data[i] : 1;
      if (w === 0) continue;
      const v = value(i);
      if (v === undefined) continue;
      sum += w * v;
      total += w;
    }
  return total === 0 ? 0 : sum / total;
}

/** The weighted root mean square of `value(i)` over the area. */
export function weightedRms(area: WeightedArea, value: (index: number) => number): number {
  return Math.sqrt(
    weightedMean(area, (i) => {
      const v = value(i);
      return v * v;
    }),
  );
}

/** The sum of the weights over the area: its pixel count when unweighted. */
export function totalWeight(area: WeightedArea): number {
  const { rect, width, weights } = area;
  if (!weights) return rect.width * rect.height;
  let total = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) for (let x = rect.x; x < rect.x + rect.width; x++) total += weights.data[y * width + x];
  return total;
}

/**
 * Weights at `scale` times a mask's size: each enlarged pixel takes the weight of the mask
 * pixel it came from, as the source-based scores look up each result pixel's source pixel.
 */
export function enlargeWeights(mask: Plane, scale: number): Plane {
  const width = mask.width * scale;
  const height = mask.height * scale;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / scale) * mask.width;
    for (let x = 0; x < width; x++) data[y * width + x] = mask.data[row + Math.floor(x / scale)];
  }
  return { width, height, data };
}

/**
 * Mottling: low-frequency blotches on skin that the source does not support (the
 * "watercolour" patches a GAN paints on smooth cheeks at 4×). A source pixel fully resolves
 * its own tone at scales of a few source pixels, so a faithful upscale, seen at that scale,
 * is the source's Lanczos enlargement: the texture a model may rightly add (pores, rebuilt
 * detail, kept film grain) lives at one to two source pixels, and a tone or colour drift is
 * coarser than several. What is left in between, the band from 2 to 6 source pixels, is
 * where blotches live. A result may rightly reshape the source's own structure in that band
 * (sharpening raises it, smoothing lowers it: other checks judge those), so the source's two
 * half-bands, each times the gain that fits the result best over the region (weighted least
 * squares), are taken out first; what is left is patchiness the source does not have. It is
 * reported as the weighted RMS of that rest in 8-bit luma levels over the skin mask.
 *
 * Why 2–6 and not 1–4 source pixels: on the labelled set the models' rebuilt texture and
 * the film preset's grain put good results up to 2.1 in the 1–4 band, against 2.5 for the
 * blotchy degradation (a margin of 1.17×); they are mostly finer than two source pixels,
 * the blotches are not, and the coarser band parts them by a wider margin (see thresholds.ts).
 */
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { gaussianBlur } from "../image/filters";
import { resizePlane } from "../image/resample";
import type { PixelRect } from "./regions";
import { weightedMean, weightedRms, type WeightedArea } from "./weighted";

/**
 * The band's scales in source pixels: Gaussian σ of its fine and coarse edge (a blob of 2σ
 * across), and of the edge between the two halves the source's structure is fitted on (their
 * geometric mean, so the halves are equally wide on a log scale).
 */
export const MOTTLING_BAND_SOURCE_PX = Object.freeze({ fine: 1, middle: Math.sqrt(3), coarse: 3 });

/** Source pixels of context the band needs around a region (3σ of its coarse edge). */
export const MOTTLING_CONTEXT_SOURCE_PX = 3 * MOTTLING_BAND_SOURCE_PX.coarse;

/**
 * The mottling of a region, in 8-bit luma levels (RMS).
 *
 * @param result     a crop of the result, exactly `scale` times `source`
 * @param source     the matching crop of the source
 * @param outRegion  the measured rectangle inside `result`
 * @param weights    0..1 at the result crop's size (the skin mask), or none for the plain rectangle
 * @example mottlingLevels(resultCrop, sourceCrop, 4, { x: 24, y: 24, width: 160, height: 120 }, skinWeights)
 */
export function mottlingLevels(result: RgbImage, source: RgbImage, scale: number, outRegion: PixelRect, weights?: Plane): number {
  const { fine, middle, coarse } = MOTTLING_BAND_SOURCE_PX;
  const blurs = (plane: Plane): Float32Array[] => [fine, middle, coarse].map((sigma) => gaussianBlur(plane, sigma * scale).data);
  const [r0, , r2] = blurs(luma(result));
  const [s0, s1, s2] = blurs(resizePlane(luma(source), result.width, result.height, "lanczos3"));
  const got = r0.map((v, i) => v - r2[i]);
  const upper = s0.map((v, i) => v - s1[i]);
  const lower = s1.map((v, i) => v - s2[i]);
  const area = { rect: outRegion, width: result.width, ...(weights ? { weights } : {}) };
  const [a, b] = fitTwo(area, got, upper, lower);
  return 255 * weightedRms(area, (i) => got[i] - a * upper[i] - b * lower[i]);
}

/**
 * The gains on the source's two half-bands that explain most of the result's band (weighted
 * least squares): any smooth sharpening or softening of the source's own structure.
 */
function fitTwo(area: WeightedArea, target: Float32Array, x: Float32Array, y: Float32Array): [number, number] {
  const mean = (f: (i: number) => number): number => weightedMean(area, f);
  const xx = mean((i) => x[i] * x[i]);
  const yy = mean((i) => y[i] * y[i]);
  const xy = mean((i) => x[i] * y[i]);
  const tx = mean((i) => target[i] * x[i]);
  const ty = mean((i) => target[i] * y[i]);
  const det = xx * yy - xy * xy;
  if (det > 1e-6 * xx * yy && det > 0) return [(tx * yy - ty * xy) / det, (ty * xx - tx * xy) / det];
  const both = xx + yy + 2 * xy;
  const gain = both > 0 ? (tx + ty) / both : 0;
  return [gain, gain];
}

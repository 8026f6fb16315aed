/**
 * How much detail an upscale added beyond what its source supports. The source's own finest
 * octave (the source minus its half-size version enlarged back) says how much texture the
 * subject has per octave; natural images carry about the same energy in every octave, so a
 * faithful enlargement by `scale` adds about log2(scale) such octaves. The added detail is
 * the fine part (above one source pixel) of the result minus the source's Lanczos-3
 * enlargement. Their ratio is ≈1 for detail at the
 * subject's own strength, near 0 for a plain enlargement, and well above 1 where a model
 * paints texture (blotches, brush strokes) or a sharpener exaggerates edges.
 *
 * Comparing with the source rather than with the fidelity branch means detail the preset
 * is meant to add is not counted as invented.
 */
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { gaussianBlur } from "../image/filters";
import { resizePlane } from "../image/resample";
import type { PixelRect } from "./regions";
import { weightedRms } from "./weighted";

/** Below this RMS (luma 0..1, about one 8-bit level) a source is treated as flat. */
const FLAT_SOURCE_RMS = 1 / 255;
/** The largest ratio reported: a flat source makes the true ratio unbounded. */
const ADDED_DETAIL_CAP = 99;

/**
 * The added-detail ratio of a region.
 *
 * @param result        a crop of the result, exactly `scale` times `source`
 * @param source        the matching crop of the source
 * @param outRegion     the measured rectangle inside `result`
 * @param sourceRegion  the same area inside `source`
 * @param weights       the region's mask at the result crop's and at the source crop's size, when weighted
 * @example addedDetailRatio(resultCrop, sourceCrop, 4, { x: 12, y: 12, width: 80, height: 40 }, { x: 3, y: 3, width: 20, height: 10 })
 */
export function addedDetailRatio(
  result: RgbImage,
  source: RgbImage,
  scale: number,
  outRegion: PixelRect,
  sourceRegion: PixelRect,
  weights?: { readonly result: Plane; readonly source: Plane },
): number {
  const sourceLuma = luma(source);
  const enlarged = resizePlane(sourceLuma, result.width, result.height, "lanczos3");
  // Only the fine part of the difference is detail: a tone or colour shift is not.
  const difference = subtract(luma(result), enlarged);
  const added = rmsDifference(difference, gaussianBlur(difference, scale), outRegion, weights?.result);
  const half = resizePlane(sourceLuma, Math.max(1, Math.ceil(source.width / 2)), Math.max(1, Math.ceil(source.height / 2)), "area");
  const topOctave = rmsDifference(sourceLuma, resizePlane(half, source.width, source.height, "lanczos3"), sourceRegion, weights?.source);
  const expected = Math.max(topOctave, FLAT_SOURCE_RMS) * Math.sqrt(Math.max(1, Math.log2(scale)));
  return Math.min(ADDED_DETAIL_CAP, added / expected);
}

function subtract(a: Plane, b: Plane): Plane {
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] - b.data[i];
  return { width: a.width, height: a.height, data };
}

function rmsDifference(a: Plane, b: Plane, rect: PixelRect, weights?: Plane): number {
  return weightedRms({ rect, width: a.width, ...(weights ? { weights } : {}) }, (i) => a.data[i] - b.data[i]);
}

/**
 * The artifact scores of one review region: halo, texture ratio, colour shift (ΔE) and
 * banding, from the metrics module. Each is computed on a crop around the region (plus a
 * margin for the metrics' neighbourhoods), so a review costs in proportion to the regions'
 * area, not to the output's size.
 *
 * With a ground-truth reference at the output size (benchmarks) every score but the added
 * detail compares against it there. The pipeline's fidelity branch is never the comparison:
 * it is softer than what the presets are meant to deliver, so every detail they add would
 * count as invented. Without one, the scores compare
 * against the source itself: texture (one source pixel below its finest detail) and colour
 * at the source's resolution (the result reduced by area averaging), halo against the
 * source's own local range, banding against the Lanczos-enlarged source. Comparing against
 * an enlargement instead would count every sharpened edge as texture, colour shift and halo.
 */
import { bandingCount, halo, meanDeltaE, textureRatio } from "../metrics/index";
import type { RgbImage } from "../image/image";
import { luma, mapChannels, type Plane } from "../image/plane";
import { gaussianBlur, gradientMagnitude, localMinMax } from "../image/filters";
import { resampleImage } from "../image/resample";
import { cropImage, cropPlane } from "../image/crop";
import type { PixelRect } from "./regions";
import { addedDetailRatio } from "./source-detail";
import { BANDING_MIN_RUN_PX, BANDING_STEP } from "./thresholds";

/** The four scores of a region. */
export interface RegionScores {
  /** Mean overshoot (luma 0..1) beyond the reference's local range beside strong edges. */
  readonly halo: number;
  /** Result ÷ reference high-frequency (Laplacian) energy: 1 right, low plastic, high over-sharpened. */
  readonly textureRatio: number;
  /** Detail added beyond the source's Lanczos enlargement ÷ what the source's own finest octave supports (source-detail.ts). */
  readonly addedDetail: number;
  /** Mean CIEDE2000 after a light blur. */
  readonly deltaE: number;
  /** Steps in smooth gradients the reference does not have, per 100 scanned lines. */
  readonly banding: number;
}

/** What the scores compare the result with. */
export type ComparisonKind = "reference" | "fidelity" | "source";

/** The images a region is scored on. `comparison` is at the result's size. */
export interface ScoreImages {
  readonly source: RgbImage;
  readonly result: RgbImage;
  readonly comparison?: RgbImage;
}

/** Blur (σ, source pixels) before the texture ratio against the source: see scoreRegion. */
const SOURCE_TEXTURE_BLUR = 1;

/** The largest texture ratio reported: a flat reference makes the true ratio unbounded. */
const TEXTURE_RATIO_CAP = 99;

/**
 * Scores one region given in source pixels; `scale` is the (integer) factor from source to
 * result. `sourceMask` (0..1 at the source's size, the region's feathered mask) weights the
 * texture ratio and ΔE against the source inside the rectangle, so they score the feature
 * rather than its bounding box; halo, added detail and banding, and every score against a
 * reference, stay over the rectangle.
 *
 * @example const scores = scoreRegion({ source, result }, eyes, 4, regionMask([face], "eyes", w, h, 1));
 */
export function scoreRegion(images: ScoreImages, sourceRect: PixelRect, scale: number, sourceMask?: Plane): RegionScores {
  // Enough margin for the widest neighbourhood: halo's 5×5 range plus its edge dilation,
  // and the 3σ of the ΔE blur.
  const margin = Math.max(3, Math.ceil(8 / scale));
  const padded = { x: sourceRect.x - margin, y: sourceRect.y - margin, width: sourceRect.width + 2 * margin, height: sourceRect.height + 2 * margin };
  const outPadded = { x: padded.x * scale, y: padded.y * scale, width: padded.width * scale, height: padded.height * scale };
  const inner = { x: margin, y: margin, width: sourceRect.width, height: sourceRect.height };
  const outInner = { x: margin * scale, y: margin * scale, width: sourceRect.width * scale, height: sourceRect.height * scale };
  const result = crop(images.result, outPadded);
  const source = crop(images.source, padded);
  const addedDetail = addedDetailRatio(result, source, scale, outInner, inner);

  if (images.comparison) {
    const comparison = crop(images.comparison, outPadded);
    return {
      halo: halo(result, comparison, { region: outInner }),
      textureRatio: capRatio(textureRatio(result, comparison, { region: outInner })),
      addedDetail,
      deltaE: meanDeltaE(result, comparison, { region: outInner, blur: Math.max(1, scale / 2) }),
      banding: excessBanding(result, comparison, outInner),
    };
  }
  const reduced = resampleImage(result, { width: source.width, height: source.height, filter: "area" });
  const enlarged = resampleImage(source, { width: result.width, height: result.height, filter: "lanczos3" });
  // Texture in the band the source fully resolves: any enlargement, reduced again, loses
  // some of the source's finest octave, so there a plain enlargement and plastic skin look
  // alike; one source pixel lower, only a result that lost the texture falls short.
  const band = (image: RgbImage): RgbImage => mapChannels(image, (plane) => gaussianBlur(plane, SOURCE_TEXTURE_BLUR));
  const weights = sourceMask ? { weights: cropPlane(sourceMask, padded) } : {};
  return {
    halo: haloAgainstSource(result, source, scale, outInner),
    textureRatio: capRatio(textureRatio(band(reduced), band(source), { region: inner, ...weights })),
    addedDetail,
    deltaE: meanDeltaE(reduced, source, { region: inner, blur: 1, ...weights }),
    banding: excessBanding(result, enlarged, outInner),
  };
}

function crop(image: RgbImage, rect: PixelRect): RgbImage {
  return cropImage(image, rect);
}

function capRatio(ratio: number): number {
  return Number.isFinite(ratio) ? Math.min(ratio, TEXTURE_RATIO_CAP) : TEXTURE_RATIO_CAP;
}

/**
 * Halo against the source: how far each result pixel leaves the range of the source pixels
 * around it (±1 source pixel, i.e. ±`scale` result pixels), averaged over result pixels
 * beside the source's strongest edges (the top 10 % of its gradient, at least a 0.05 step,
 * as the metrics module's halo does at the output's resolution).
 *
 * @param result  a crop of the result, exactly `scale` times `source`
 * @param region  the measured rectangle inside `result`
 */
export function haloAgainstSource(result: RgbImage, source: RgbImage, scale: number, region: PixelRect): number {
  const out = luma(result).data;
  const ref = luma(source);
  const { min, max } = localMinMax(ref, 1);
  const grad = gradientMagnitude(ref);
  const sx0 = Math.floor(region.x / scale);
  const sy0 = Math.floor(region.y / scale);
  const sx1 = Math.ceil((region.x + region.width) / scale);
  const sy1 = Math.ceil((region.y + region.height) / scale);
  const values: number[] = [];
  for (let y = sy0; y < sy1; y++) for (let x = sx0; x < sx1; x++) values.push(grad.data[y * source.width + x]);
  values.sort((a, b) => a - b);
  const cut = Math.max(0.025, values[Math.floor(values.length * 0.9)] ?? Infinity);
  const strong = new Float32Array(grad.data.length);
  for (let i = 0; i < strong.length; i++) strong[i] = grad.data[i] >= cut ? 1 : 0;
  const near = localMinMax({ width: source.width, height: source.height, data: strong }, 1).max.data;
  let sum = 0;
  let count = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    const sy = Math.min(source.height - 1, Math.floor(y / scale));
    for (let x = region.x; x < region.x + region.width; x++) {
      const s = sy * source.width + Math.min(source.width - 1, Math.floor(x / scale));
      if (near[s] === 0) continue;
      const v = out[y * result.width + x];
      sum += Math.max(0, v - max.data[s]) + Math.max(0, min.data[s] - v);
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** Bands in `result` beyond those in `reference` over the region, per 100 scanned lines. */
function excessBanding(result: RgbImage, reference: RgbImage, region: PixelRect): number {
  const options = { step: BANDING_STEP, run: BANDING_MIN_RUN_PX, region };
  const excess = bandingCount(result, options) - bandingCount(reference, options);
  return (Math.max(0, excess) * 100) / (region.width + region.height);
}

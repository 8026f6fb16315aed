/**
 * The artifact scores of one review region: halo, texture ratio, added detail, colour shift
 * (ΔE), banding and mottling. Each is computed on a crop around the region (plus a margin for
 * the metrics' neighbourhoods), so a review costs in proportion to the regions' area, not to
 * the output's size, and each is a mean over the region's rectangle weighted by its feathered
 * mask (weighted.ts), so a crop's corners count for nothing.
 *
 * With a ground-truth reference at the output size (benchmarks) every score but the added
 * detail and mottling compares against it there. The pipeline's fidelity branch is never the comparison:
 * it is softer than what the presets are meant to deliver, so every detail they add would
 * count as invented. Without one, the scores compare
 * against the source itself: texture (two source pixels below its finest detail) and colour
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
import { MOTTLING_CONTEXT_SOURCE_PX, mottlingLevels } from "./mottling";
import { BANDING_MAX_GAP_PX, BANDING_MIN_RUN_PX, BANDING_STEP } from "./thresholds";
import { enlargeWeights, totalWeight, weightedMean } from "./weighted";

/** The scores a region can have, in the order its checks are listed. */
export const SCORE_NAMES = ["halo", "textureRatio", "addedDetail", "deltaE", "banding", "mottling"] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];

/** The scores of a facial feature (eyes, nose bridge, lips, hairline) or of a whole image without a face. */
export const FEATURE_SCORES: readonly ScoreName[] = ["halo", "textureRatio", "addedDetail", "deltaE", "banding"];
/**
 * The scores of a face's smooth skin: blotches are judged there, where the source is smooth,
 * and so is banding, which shows in smooth gradients (on the astronaut at 4× posterised to 24
 * levels, the skin's contours counted 7.5 per 100 lines, the features' 0–4.6).
 */
export const SKIN_SCORES: readonly ScoreName[] = ["banding", "mottling"];

/**
 * The scores of a region; only the ones asked for are present.
 * - halo: mean overshoot (luma 0..1) beyond the reference's local range beside strong edges.
 * - textureRatio: result ÷ reference high-frequency (Laplacian) energy: 1 right, low plastic, high over-sharpened.
 * - addedDetail: detail added beyond the source's Lanczos enlargement ÷ what the source's own finest octave supports (source-detail.ts).
 * - deltaE: mean CIEDE2000 after a light blur.
 * - banding: steps in smooth gradients the reference does not have, per 100 scanned lines.
 * - mottling: blotches of 2–6 source pixels the source does not have, RMS in 8-bit luma levels (mottling.ts).
 */
export type RegionScores = { readonly [name in ScoreName]?: number };

/** What the scores compare the result with. */
export type ComparisonKind = "reference" | "fidelity" | "source";

/** The images a region is scored on. `comparison` is at the result's size. */
export interface ScoreImages {
  readonly source: RgbImage;
  readonly result: RgbImage;
  readonly comparison?: RgbImage;
}

/**
 * Blur (σ, source pixels) before the texture ratio against the source: see scoreRegion. At
 * σ 1 the fidelity model's softness at the source's finest scale looked like plastic skin
 * (on the labelled set its lowest feature scored 0.86, plastic skin's up to 0.87); at σ 2
 * the models have rebuilt that band and a denoise before upscaling has not (good results
 * 0.950 and up, plastic skin 0.81–0.925).
 */
const SOURCE_TEXTURE_BLUR = 2;

/** The largest texture ratio reported: a flat reference makes the true ratio unbounded. */
const TEXTURE_RATIO_CAP = 99;

/**
 * Scores one region given in source pixels; `scale` is the (integer) factor from source to
 * result. `sourceMask` (0..1 at the source's size, the region's feathered mask) weights
 * every score inside the rectangle, so they score the feature rather than its bounding box;
 * against a reference each result pixel takes the weight of its source pixel. Added detail
 * and mottling always compare with the source. `scores` says which scores to compute.
 *
 * @example const scores = scoreRegion({ source, result }, eyes, 4, regionMask([face], "eyes", w, h, 1));
 */
export function scoreRegion(
  images: ScoreImages,
  sourceRect: PixelRect,
  scale: number,
  sourceMask?: Plane,
  scores: readonly ScoreName[] = FEATURE_SCORES,
): RegionScores {
  // Enough margin for the widest neighbourhood: halo's 5×5 range plus its edge dilation,
  // the 3σ of the ΔE blur, and mottling's coarse band when it is scored.
  const margin = Math.max(3, Math.ceil(8 / scale), scores.includes("mottling") ? MOTTLING_CONTEXT_SOURCE_PX : 0);
  const padded = { x: sourceRect.x - margin, y: sourceRect.y - margin, width: sourceRect.width + 2 * margin, height: sourceRect.height + 2 * margin };
  const outPadded = { x: padded.x * scale, y: padded.y * scale, width: padded.width * scale, height: padded.height * scale };
  const inner = { x: margin, y: margin, width: sourceRect.width, height: sourceRect.height };
  const outInner = { x: margin * scale, y: margin * scale, width: sourceRect.width * scale, height: sourceRect.height * scale };
  const result = cropImage(images.result, outPadded);
  const source = cropImage(images.source, padded);
  const sourceWeights = sourceMask ? cropPlane(sourceMask, padded) : undefined;
  const resultWeights = sourceWeights ? enlargeWeights(sourceWeights, scale) : undefined;
  const atSource = sourceWeights ? { weights: sourceWeights } : {};
  const atResult = resultWeights ? { weights: resultWeights } : {};
  const comparison = images.comparison ? cropImage(images.comparison, outPadded) : undefined;

  const fromSource = (): Record<Exclude<ScoreName, "addedDetail" | "mottling">, () => number> => {
    const reduced = (): RgbImage => resampleImage(result, { width: source.width, height: source.height, filter: "area" });
    // Texture in the band the source fully resolves: any enlargement, reduced again, loses
    // some of the source's finest octave, so there a plain enlargement and plastic skin look
    // alike; two source pixels lower, only a result that lost the texture falls short.
    const band = (image: RgbImage): RgbImage => mapChannels(image, (plane) => gaussianBlur(plane, SOURCE_TEXTURE_BLUR));
    return {
      halo: () => haloAgainstSource(result, source, scale, outInner, resultWeights),
      textureRatio: () => capRatio(textureRatio(band(reduced()), band(source), { region: inner, ...atSource })),
      deltaE: () => meanDeltaE(reduced(), source, { region: inner, blur: 1, ...atSource }),
      banding: () => excessBanding(result, resampleImage(source, { width: result.width, height: result.height, filter: "lanczos3" }), outInner, resultWeights),
    };
  };
  const fromReference = (reference: RgbImage): Record<Exclude<ScoreName, "addedDetail" | "mottling">, () => number> => ({
    halo: () => halo(result, reference, { region: outInner, ...atResult }),
    textureRatio: () => capRatio(textureRatio(result, reference, { region: outInner, ...atResult })),
    deltaE: () => meanDeltaE(result, reference, { region: outInner, blur: Math.max(1, scale / 2), ...atResult }),
    banding: () => excessBanding(result, reference, outInner, resultWeights),
  });
  const compute: Record<ScoreName, () => number> = {
    ...(comparison ? fromReference(comparison) : fromSource()),
    addedDetail: () => addedDetailRatio(result, source, scale, outInner, inner, sourceWeights && resultWeights ? { result: resultWeights, source: sourceWeights } : undefined),
    mottling: () => mottlingLevels(result, source, scale, outInner, resultWeights),
  };
  return Object.fromEntries(SCORE_NAMES.filter((name) => scores.includes(name)).map((name) => [name, compute[name]()])) as RegionScores;
}

function capRatio(ratio: number): number {
  return Number.isFinite(ratio) ? Math.min(ratio, TEXTURE_RATIO_CAP) : TEXTURE_RATIO_CAP;
}

/**
 * Halo against the source: how far each result pixel leaves the range of the source pixels
 * around it (±1 source pixel, i.e. ±`scale` result pixels), averaged over result pixels
 * beside the source's strongest edges (the top 10 % of its gradient where the region has
 * weight, at least a 0.025 step, as the metrics module's halo does at the output's
 * resolution), weighted by `weights` when given.
 *
 * @param result   a crop of the result, exactly `scale` times `source`
 * @param region   the measured rectangle inside `result`
 * @param weights  0..1 at the result crop's size (the region's mask)
 */
export function haloAgainstSource(result: RgbImage, source: RgbImage, scale: number, region: PixelRect, weights?: Plane): number {
  const out = luma(result).data;
  const ref = luma(source);
  const { min, max } = localMinMax(ref, 1);
  const grad = gradientMagnitude(ref);
  const sx0 = Math.floor(region.x / scale);
  const sy0 = Math.floor(region.y / scale);
  const sx1 = Math.ceil((region.x + region.width) / scale);
  const sy1 = Math.ceil((region.y + region.height) / scale);
  const values: number[] = [];
  for (let y = sy0; y < sy1; y++)
    for (let x = sx0; x < sx1; x++) if (!weights || weights.data[y * scale * result.width + x * scale] > 0) values.push(grad.data[y * source.width + x]);
  values.sort((a, b) => a - b);
  const cut = Math.max(0.025, values[Math.floor(values.length * 0.9)] ?? Infinity);
  const strong = new Float32Array(grad.data.length);
  for (let i = 0; i < strong.length; i++) strong[i] = grad.data[i] >= cut ? 1 : 0;
  const near = localMinMax({ width: source.width, height: source.height, data: strong }, 1).max.data;
  return weightedMean({ rect: region, width: result.width, ...(weights ? { weights } : {}) }, (i) => {
    const y = Math.floor(i / result.width);
    const x = i - y * result.width;
    const s = Math.min(source.height - 1, Math.floor(y / scale)) * source.width + Math.min(source.width - 1, Math.floor(x / scale));
    if (near[s] === 0) return undefined;
    const v = out[i];
    return Math.max(0, v - max.data[s]) + Math.max(0, min.data[s] - v);
  });
}

/**
 * Bands in `result` beyond those in `reference` over the region, per 100 scanned lines; with
 * weights, steps count by their weight and a line by its mean weight.
 */
function excessBanding(result: RgbImage, reference: RgbImage, region: PixelRect, weights?: Plane): number {
  const options = { step: BANDING_STEP, run: BANDING_MIN_RUN_PX, gap: BANDING_MAX_GAP_PX, region, ...(weights ? { weights } : {}) };
  const excess = bandingCount(result, options) - bandingCount(reference, options);
  const lines = totalWeight({ rect: region, width: result.width, ...(weights ? { weights } : {}) }) * (1 / region.width + 1 / region.height);
  return lines === 0 ? 0 : (Math.max(0, excess) * 100) / lines;
}

/**
 * The automatic 100 % review: for every face, the eyes, nose bridge, lips and hairline are
 * scored for halo, texture, colour shift and banding, and the smooth skin for banding and
 * mottling, checked against the thresholds, and turned into advice. Pure and deterministic: the same images give the same report.
 */
import { invalidParameter, type ReviewReport as ProtocolReviewReport } from "@portrait-upscale/shared";
import type { Face } from "../portrait/faces";
import { isSmallFaceFor } from "../portrait/small-face";
import type { RgbImage } from "../image/image";
import type { Plane } from "../image/plane";
import {
  NO_FACE_ADVICE,
  RERUN_ADVICE,
  smallFaceAdvice,
  adviceFor,
  settingsAdvice,
  type ReviewArea,
  type ReviewMetric,
  type ReviewSettings,
} from "./advice";
import { REVIEW_REGIONS, faceReviewAreas, scaleRect, type PixelRect, type ReviewRegionName } from "./regions";
import { FEATURE_SCORES, SCORE_NAMES, SKIN_SCORES, scoreRegion, type ComparisonKind, type RegionScores, type ScoreName } from "./scores";
import { MAX_REVIEWED_FACES, REVIEW_THRESHOLDS, WHOLE_IMAGE_MAX_OUTPUT_PX, scoreLimits } from "./thresholds";

/** One check as the protocol carries it (`review` message, `GET /v1/jobs/{id}/review`). */
export type ReviewCheck = ProtocolReviewReport["checks"][number];

/** A scored region: where it is, its scores, and what to do about any that failed. */
export interface ReviewRegionReport {
  readonly name: ReviewArea;
  /** The region in source pixels. */
  readonly sourceRect: PixelRect;
  /** The same area in result pixels. */
  readonly rect: PixelRect;
  readonly scores: RegionScores;
  readonly passed: boolean;
  readonly advice: readonly string[];
}

/** One reviewed face. */
export interface ReviewFaceReport {
  /** Position in the detector's list (highest score first), from 0. */
  readonly index: number;
  /** The detector's box in source pixels. */
  readonly box: PixelRectLike;
  readonly score: number;
  /** The face's width in the source, which bounds how much real detail it can have. */
  readonly widthPx: number;
  readonly regions: readonly ReviewRegionReport[];
  /** Regions that fell outside the image and were not reviewed. */
  readonly outside: readonly ReviewRegionName[];
}

interface PixelRectLike {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The review of one upscale, as written to review.json. */
export interface ReviewReport {
  readonly version: 1;
  /** "warn" when any check failed. */
  readonly verdict: "pass" | "warn";
  readonly scale: number;
  readonly source: { readonly width: number; readonly height: number };
  readonly output: { readonly width: number; readonly height: number };
  /** What the scores compare the result with (see scores.ts). */
  readonly comparedWith: ComparisonKind;
  readonly settings: ReviewSettings;
  readonly thresholds: typeof REVIEW_THRESHOLDS;
  /** Faces the detector found (at most {@link MAX_REVIEWED_FACES} are reviewed). */
  readonly facesFound: number;
  readonly faces: readonly ReviewFaceReport[];
  /** Whole-image scores (of its centre, for very large results), present when no face was found. */
  readonly image?: ReviewRegionReport;
  /** Every check, flat, in the protocol's shape. */
  readonly checks: readonly ReviewCheck[];
  /** Distinct advice, most specific first. */
  readonly advice: readonly string[];
}

export interface ReviewInput {
  readonly source: RgbImage;
  /** The result, exactly `scale` times the source. */
  readonly result: RgbImage;
  /**
   * The pipeline's fidelity branch at the result's size. Accepted for callers that have it,
   * but not scored against: its softness would make every added detail look invented.
   */
  readonly fidelity?: RgbImage;
  /** A ground truth at the result's size (benchmarks); preferred over `fidelity`. */
  readonly reference?: RgbImage;
  /** Faces found on the source, in source pixels. */
  readonly faces: readonly Face[];
  readonly scale: number;
  readonly settings: ReviewSettings;
  /** Output pixels scored at most without a face (default {@link WHOLE_IMAGE_MAX_OUTPUT_PX}). */
  readonly wholeImageMaxPixels?: number;
}

/**
 * Reviews an upscale. Regions come from each face's keypoints; without a face the whole
 * image is scored and the report says the portrait protections were not applied.
 *
 * @example
 * const report = buildReview({ source, result, fidelity: branches.fidelity, faces, scale: 4, settings: { creativity: 0.3 } });
 * report.verdict; // "pass" | "warn"
 */
export function buildReview(input: ReviewInput): ReviewReport {
  const { source, result, scale, settings } = input;
  validate(input);
  // Never the fidelity branch: the presets are meant to add detail it lacks (scores.ts).
  const comparedWith: ComparisonKind = input.reference ? "reference" : "source";
  const images = { source, result, ...(input.reference ? { comparison: input.reference } : {}) };
  const checks: ReviewCheck[] = [];
  const advice: string[] = [];

  const reviewRegion = (name: ReviewArea, sourceRect: PixelRect, face: number | undefined, mask?: Plane): ReviewRegionReport => {
    const scores = scoreRegion(images, sourceRect, scale, mask, name === "skin" ? SKIN_SCORES : FEATURE_SCORES);
    const regionChecks = checksFor(name, scores, settings, face);
    checks.push(...regionChecks);
    const regionAdvice = regionChecks.flatMap((check) => (check.advice === undefined ? [] : [check.advice]));
    advice.push(...regionAdvice);
    return {
      name,
      sourceRect,
      rect: scaleRect(sourceRect, scale),
      scores: roundScores(scores),
      passed: regionChecks.every((check) => check.passed),
      advice: regionAdvice,
    };
  };

  const faces: ReviewFaceReport[] = input.faces.slice(0, MAX_REVIEWED_FACES).map((face, index) => {
    const areas = faceReviewAreas(face, source.width, source.height);
    const regions: ReviewRegionReport[] = [];
    const outside: ReviewRegionName[] = [];
    for (const name of REVIEW_REGIONS) {
      const area = areas[name];
      // The region's own feathered mask weights its scores (the rectangle only bounds them).
      if (area) regions.push(reviewRegion(name, area.rect, index, area.mask));
      else outside.push(name);
    }
    return {
      index,
      box: { x: round(face.box.x, 1), y: round(face.box.y, 1), width: round(face.box.width, 1), height: round(face.box.height, 1) },
      score: round(face.score, 4),
      widthPx: Math.round(face.box.width),
      regions,
      outside,
    };
  });

  let image: ReviewRegionReport | undefined;
  if (input.faces.length === 0) {
    advice.unshift(NO_FACE_ADVICE);
    const limit = input.wholeImageMaxPixels ?? WHOLE_IMAGE_MAX_OUTPUT_PX;
    image = reviewRegion("image", wholeImageRect(source.width, source.height, scale, limit), undefined);
  }
  if (input.faces.length > faces.length) advice.push(`${input.faces.length} faces found: the ${faces.length} most certain were reviewed`);
  if (faces.some((face) => isSmallFaceFor(face.widthPx, scale))) advice.push(smallFaceAdvice(scale));
  advice.push(...settingsAdvice(scale, settings));
  const verdict = checks.every((check) => check.passed) ? "pass" : "warn";
  if (verdict === "warn") advice.push(RERUN_ADVICE);

  return {
    version: 1,
    verdict,
    scale,
    source: { width: source.width, height: source.height },
    output: { width: result.width, height: result.height },
    comparedWith,
    settings: { ...settings },
    thresholds: REVIEW_THRESHOLDS,
    facesFound: input.faces.length,
    faces,
    ...(image ? { image } : {}),
    checks,
    advice: [...new Set(advice)],
  };
}

/** The metric each score is checked as, in the protocol's checks. */
const METRIC_OF: Readonly<Record<ScoreName, ReviewMetric>> = {
  halo: "halo",
  textureRatio: "texture-ratio",
  addedDetail: "added-detail",
  deltaE: "delta-e",
  banding: "banding",
  mottling: "mottling",
};

/** The checks of a region's scores, in {@link SCORE_NAMES} order, with advice on the failed ones. */
function checksFor(area: ReviewArea, scores: RegionScores, settings: ReviewSettings, face: number | undefined): ReviewCheck[] {
  const at = face === undefined ? {} : { face };
  return SCORE_NAMES.flatMap((name): ReviewCheck[] => {
    const value = scores[name];
    if (value === undefined) return [];
    const { min, max: limit } = scoreLimits(name);
    const high = value > limit;
    const low = min !== undefined && value < min;
    const passed = !high && !low;
    const rounded = round(value, 4);
    const metric = METRIC_OF[name];
    return [
      {
        ...at,
        region: area,
        metric,
        value: rounded,
        ...(min !== undefined ? { min } : {}),
        limit,
        passed,
        ...(passed ? {} : { advice: adviceFor(area, metric, high ? "high" : "low", rounded, settings, high ? limit : (min ?? limit)) }),
      },
    ];
  });
}

/** The protocol's shorter report: verdict, face count, checks and one advice text. */
export function toProtocolReport(report: ReviewReport): ProtocolReviewReport {
  const advice = report.advice.join("; ");
  return {
    verdict: report.verdict,
    faces: report.facesFound,
    checks: report.checks.slice(0, 256),
    ...(advice === "" ? {} : { advice: advice.length > 1000 ? `${advice.slice(0, 997)}...` : advice }),
  };
}

/** The whole source, or its centre (same proportions) when the result would be too large to score whole. */
function wholeImageRect(width: number, height: number, scale: number, maxPixels: number): PixelRect {
  const shrink = Math.sqrt(maxPixels / (width * height * scale * scale));
  if (shrink >= 1) return { x: 0, y: 0, width, height };
  const w = Math.max(1, Math.floor(width * shrink));
  const h = Math.max(1, Math.floor(height * shrink));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

function validate(input: ReviewInput): void {
  const { source, result, scale } = input;
  if (!(Number.isInteger(scale) && scale >= 1 && scale <= 16)) throw invalidParameter("an integer scale from 1 to 16", "scale", scale);
  if (source.width < 1 || source.height < 1) throw invalidParameter("a source with pixels", "source", `${source.width}×${source.height}`);
  const expected = `${source.width * scale}×${source.height * scale}`;
  for (const [name, image] of [
    ["result", result],
    ["fidelity", input.fidelity],
    ["reference", input.reference],
  ] as const) {
    if (image && (image.width !== source.width * scale || image.height !== source.height * scale)) {
      throw invalidParameter(`an image of ${expected} (the source × ${scale})`, name, `${image.width}×${image.height}`);
    }
  }
}

function roundScores(scores: RegionScores): RegionScores {
  return Object.fromEntries(Object.entries(scores).map(([name, value]) => [name, round(value, 4)]));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

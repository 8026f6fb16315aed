/**
 * The review's advice, in a retoucher's terms: what is wrong where, and the one setting to
 * change (the portrait guide's "lower it by 0.05 and run again from the original").
 */
import type { ReviewRegionName } from "./regions";
import { smallFaceLimitPx } from "../portrait/small-face";
import { CREATIVITY_FEATURE_CHANGE, SETTING_STEP, SPECULATIVE_SCALE } from "./thresholds";

/** The settings the result was made with, as far as the caller knows them. */
export interface ReviewSettings {
  readonly presetId?: string;
  /** The model choice (`x4plus`, `x4fast`, `thick`) of a plain upscale. */
  readonly model?: string;
  /** Creativity, resemblance and denoise of the portrait pipeline (0..1). */
  readonly creativity?: number;
  readonly resemblance?: number;
  readonly denoise?: number;
}

/**
 * The review's settings from the portrait pipeline's (a preset with a job's overrides), so
 * advice can name creativity and resemblance. Pass these only when the pipeline produced the
 * result: a plain model upscale has no creativity to lower.
 */
export function reviewSettingsOf(settings: {
  readonly presetId?: string;
  readonly creativity: number;
  readonly resemblance: number;
  readonly denoise: number;
}): ReviewSettings {
  return {
    ...(settings.presetId !== undefined ? { presetId: settings.presetId } : {}),
    creativity: settings.creativity,
    resemblance: settings.resemblance,
    denoise: settings.denoise,
  };
}

/** A region of a face, or the whole image when no face was found. */
export type ReviewArea = ReviewRegionName | "image";

/** The metrics the review checks, as named in the protocol's checks. */
export type ReviewMetric = "halo" | "texture-ratio" | "added-detail" | "delta-e" | "banding" | "mottling";

/** Which side of its limits a failed score is on. */
export type Deviation = "high" | "low";

const AREA_LABEL: Readonly<Record<ReviewArea, string>> = {
  eyes: "eyes",
  noseBridge: "nose bridge",
  lips: "lips",
  hairline: "hairline",
  skin: "skin",
  image: "image",
};

/** The words for a region in advice ("nose bridge" for noseBridge). */
export function areaLabel(area: ReviewArea): string {
  return AREA_LABEL[area];
}

/** The headshot preset's name, as the panel shows it. */
const HAIR_AND_LASHES = "Headshot — Hair & Lashes";
/** Denoise above this removes skin's micro-variation (the guide: 0.1–0.15). */
const DENOISE_PLASTIC = 0.15;

const step = SETTING_STEP.toFixed(2);

/**
 * A portrait-pipeline run (creativity known) can be steered by it; a plain model run cannot.
 * The creativity to use is estimated from how far the score is over its limit: the score
 * falls more slowly than creativity (on the README's sample, creativity 1 scored 2.3 times
 * the added-detail limit and 0.35 still 1.05 times), so creativity is divided by the excess
 * squared and lowered one more step, so that one re-run passes.
 */
function lowerDetail(settings: ReviewSettings, excess: number): string {
  if (settings.creativity === undefined) return "use a portrait preset or the thick model";
  const over = Math.max(1, excess);
  const estimate = Math.floor(settings.creativity / (over * over) / SETTING_STEP + 1e-9) * SETTING_STEP;
  const target = Math.min(settings.creativity - SETTING_STEP, estimate - SETTING_STEP);
  if (target < SETTING_STEP / 2) return "use the thick model alone (no synthetic detail)";
  return `lower creativity to ${target.toFixed(2)}`;
}

function raiseDetail(settings: ReviewSettings): string {
  if (settings.creativity === undefined) return "use a portrait preset (e.g. Portrait — Natural)";
  const denoise = settings.denoise !== undefined && settings.denoise > DENOISE_PLASTIC ? " or lower denoise to 0.1" : "";
  return `raise creativity by ${step}${denoise}`;
}

/**
 * The advice for a score outside its limits.
 *
 * @example adviceFor("noseBridge", "halo", "high", 0.018, { creativity: 0.3 }, 0.015)
 * // "halo on the nose bridge: lower creativity to 0.15"
 */
export function adviceFor(area: ReviewArea, metric: ReviewMetric, deviation: Deviation, value: number, settings: ReviewSettings, limit = value): string {
  const where = area === "image" ? "in the image" : `on the ${areaLabel(area)}`;
  const excess = limit > 0 ? value / limit : 1;
  switch (metric) {
    case "halo":
      return `halo ${area === "image" ? "along edges" : where}: ${lowerDetail(settings, excess)}`;
    case "added-detail":
      return `invented texture ${where}: ${lowerDetail(settings, excess)}`;
    case "texture-ratio":
      if (deviation === "high") return `over-sharpened ${where}: ${lowerDetail(settings, excess)}`;
      if (area === "eyes") return `lashes smeared: raise creativity for eyes or use ${HAIR_AND_LASHES}`;
      if (area === "hairline") return `hairline smoothed into one edge (fine hairs lost): raise creativity for the hairline or use ${HAIR_AND_LASHES}`;
      if (area === "lips") return `lip texture flattened: ${raiseDetail(settings)}`;
      if (area === "noseBridge") return `plastic skin on the nose: ${raiseDetail(settings)}`;
      return `plastic look (texture lost): ${raiseDetail(settings)}`;
    case "delta-e": {
      const fix = settings.resemblance === undefined ? "use the thick model" : `raise resemblance by ${step}`;
      return `colour shift ${where} (ΔE ${value.toFixed(1)}): ${fix}`;
    }
    case "banding":
      return `banding ${where}: keep 16 bits per channel, or use a preset that keeps grain`;
    case "mottling":
      return `blotchy skin (mottling): ${lowerDetail(settings, excess)}`;
  }
}

/** The report-level advice when no face was found. */
export const NO_FACE_ADVICE = "no face found: the portrait protections were not applied";

/**
 * The report-level advice for a face too small in the source for a `scale`× result.
 *
 * @example smallFaceAdvice(4) // "face under 300 px for 4×: expect limited detail, or use 2× (a face needs 75 px per unit of scale)"
 */
export function smallFaceAdvice(scale: number): string {
  const lower = scale > 2 ? `, or use 2×` : "";
  return `face under ${smallFaceLimitPx(scale)} px for ${scale}×: expect limited detail${lower} (a face needs ${smallFaceLimitPx(1)} px per unit of scale)`;
}

/** Advice that follows from the settings alone (the guide's practitioner notes). */
export function settingsAdvice(scale: number, settings: ReviewSettings): string[] {
  const advice: string[] = [];
  if (scale > SPECULATIVE_SCALE) advice.push(`at ${scale}× much of the fine detail is the models' guess: compare at 100 % before printing`);
  if (settings.creativity !== undefined && settings.creativity > CREATIVITY_FEATURE_CHANGE) {
    advice.push(
      `creativity ${settings.creativity} is above ${CREATIVITY_FEATURE_CHANGE}: features such as eyebrow shape and iris tone may change (0.2–0.35 keeps a person identifiable)`,
    );
  }
  return advice;
}

/** The closing advice of a review with warnings. */
export const RERUN_ADVICE = "change one setting at a time and run again from the original";

/**
 * The upscale service: one `UpscaleRequest`, validated where it arrives, and one function
 * that runs it (`runUpscaleRequest`) for the command line, the daemon, batch and workers. With
 * `settings.portrait` (a preset and its overrides, from `portraitSettings`) the portrait
 * pipeline runs; without it the bare model does (scripts and benchmarks).
 */
export {
  DEFAULT_SETTINGS,
  MAX_TILE,
  MIN_TILE,
  MODEL_CHOICES,
  SCALES,
  parseUpscaleSettings,
  planModel,
  portraitSettings,
} from "./settings";
export { modelTiles, portraitModelIds, portraitTiles } from "./memory-plan";
export type { ModelChoice, ModelPlan, PresetResolver, RawPortraitSettings, RawUpscaleSettings, Scale, UpscaleSettings } from "./settings";
export { upscaleImage } from "./upscale-image";
export type { UpscaleImageResult, UpscaleRunOptions } from "./upscale-image";
export { portraitSteps, upscalePortrait } from "./portrait";
export type { PortraitImageResult, PortraitOutcome, PortraitRunOptions } from "./portrait";
export { formatForPath, upscaleBytes, upscaleToFile } from "./upscale-file";
export { upscaleDecoded } from "./upscale-decoded";
export type { PortraitSummary, UpscaleBytesResult, UpscaleServiceOptions, UpscaleSummary } from "./upscale-decoded";
export { imageLimitsOf, requestSettings, settingsHash, stableJson, upscaleRequest } from "./request";
export type { RawRequestOptions, RequestImage, UpscaleRequest } from "./request";
export { REVIEW_START, runUpscaleRequest } from "./run-request";
export type { RequestResult, RunRequestOptions } from "./run-request";
export { reviewUpscale } from "./review-step";
export type { ReviewUpscaleInput, UpscaleReview } from "./review-step";
export { openOutput, removeStalePartials, temporaryNameFor, unwritable } from "./output-file";
export type { PendingOutput } from "./output-file";
export { ProgressTracker } from "./progress";
export type { PortraitProgressStage, UpscaleProgress, UpscaleStage, WeightedStep } from "./progress";

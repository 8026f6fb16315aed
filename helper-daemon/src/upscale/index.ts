/**
 * The upscale service: what the command line and the daemon call to upscale an image. With
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
  portraitModelIds,
  portraitSettings,
  tileFor,
} from "./settings";
export type { ModelChoice, ModelPlan, PresetResolver, RawPortraitSettings, RawUpscaleSettings, Scale, UpscaleSettings } from "./settings";
export { upscaleImage } from "./upscale-image";
export type { UpscaleImageResult, UpscaleRunOptions } from "./upscale-image";
export { portraitSteps, portraitTile, upscalePortrait } from "./portrait";
export type { PortraitImageResult, PortraitOutcome, PortraitRunOptions } from "./portrait";
export { formatForPath, upscaleBytes, upscaleDecoded, upscaleFile } from "./upscale-file";
export type { PortraitSummary, UpscaleBytesResult, UpscaleFileResult, UpscaleServiceOptions, UpscaleSummary } from "./upscale-file";
export { ProgressTracker } from "./progress";
export type { PortraitProgressStage, UpscaleProgress, UpscaleStage, WeightedStep } from "./progress";

/**
 * The upscale service: what the command line and the daemon call to upscale an image.
 * The portrait pipeline adds its own path later through `settings.preset` / `settings.portrait`.
 */
export { DEFAULT_SETTINGS, MAX_TILE, MIN_TILE, MODEL_CHOICES, SCALES, parseUpscaleSettings, planModel } from "./settings";
export type { ModelChoice, ModelPlan, RawUpscaleSettings, Scale, UpscaleSettings } from "./settings";
export { AUTO_TILE_MAX, tileFor, upscaleImage } from "./upscale-image";
export type { UpscaleImageResult, UpscaleRunOptions } from "./upscale-image";
export { formatForPath, upscaleBytes, upscaleDecoded, upscaleFile } from "./upscale-file";
export type { UpscaleBytesResult, UpscaleFileResult, UpscaleServiceOptions, UpscaleSummary } from "./upscale-file";
export { ProgressTracker } from "./progress";
export type { UpscaleProgress, UpscaleStage } from "./progress";

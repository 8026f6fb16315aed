/**
 * The in-memory core of the upscale service: one RgbImage in, one out, through the tiled
 * driver and the inference pool. Files and bytes are handled around it (upscale-file.ts).
 */
import { PortraitError } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { upscaleToScale, type UpscaleNotice } from "../tiling/tiled-upscale";
import { tileRunner, type InferencePool, type ProviderName } from "../inference/index";
import { modelTiles, sessionPlan } from "./memory-plan";
import { planModel, type ModelPlan, type UpscaleSettings } from "./settings";
import { ProgressTracker, type UpscaleProgress } from "./progress";

export interface UpscaleRunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: UpscaleProgress) => void;
}

export interface UpscaleImageResult {
  readonly image: RgbImage;
  readonly plan: ModelPlan;
  /** Model ids that ran. */
  readonly models: readonly string[];
  /** The provider that ran the tiles ("cpu" after a fallback). */
  readonly provider: ProviderName;
  /** Things the user should know (fallbacks, tile reductions, resampling). */
  readonly notes: readonly string[];
  readonly tile: number;
  readonly inferenceMs: number;
}

/**
 * Upscales an image by `settings.scale` with `settings.model`: native when the model has that
 * scale, otherwise native ×4 then Lanczos-3. Rejects with CANCELLED soon after `signal` aborts
 * (within the tile in flight).
 * @example const { image } = await upscaleImage(input, pool, parseUpscaleSettings({ model: "x4fast", scale: 2 }));
 */
export async function upscaleImage(
  image: RgbImage,
  pool: InferencePool,
  settings: UpscaleSettings,
  options: UpscaleRunOptions = {},
  tracker: ProgressTracker = new ProgressTracker(options.onProgress),
): Promise<UpscaleImageResult> {
  if (image.width < 1 || image.height < 1) throw new PortraitError("INPUT_EMPTY", undefined, { width: image.width, height: image.height });
  const plan = planModel(settings);
  const tiles = modelTiles(plan, image, settings, pool.provider);
  const { tile, stageTiles } = tiles;
  pool.planJob(sessionPlan([plan.modelId], tiles));
  const providers = new Set<ProviderName>();
  const notes = new Set<string>();
  let inferenceMs = 0;
  const runTile = tileRunner(
    pool,
    plan.modelId,
    (result) => {
      providers.add(result.provider);
      inferenceMs += result.inferenceMs;
      if (result.notice) notes.add(result.notice);
    },
    stageTiles[plan.modelId],
  );
  tracker.upscaleStarted();
  const output = await upscaleToScale(image, runTile, {
    nativeScale: plan.nativeScale,
    targetScale: plan.targetScale,
    maxTile: tile,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: ({ tile: done, tiles, fraction }) => tracker.tile(done, tiles, fraction),
    onNotice: (notice: UpscaleNotice) => notes.add(notice.message),
  });
  if (plan.nativeScale !== plan.targetScale) {
    notes.add(`${plan.modelId} is a ×${plan.nativeScale} model: its result was resized to ×${plan.targetScale} with Lanczos-3.`);
  }
  // A fallback mid-job leaves both providers in the set; the CPU one ran the rest.
  const provider: ProviderName = providers.size === 1 ? [...providers][0] : providers.has("cpu") ? "cpu" : pool.provider;
  return { image: output, plan, models: [plan.modelId], provider, notes: [...notes], tile, inferenceMs };
}

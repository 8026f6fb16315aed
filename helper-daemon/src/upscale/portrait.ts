/**
 * The upscale service's portrait path: the portrait pipeline (faces, fidelity and detail
 * branches, region-weighted blend) run on the inference pool, reporting like the bare path
 * does (progress, provider, inference time, notes) so callers treat both alike.
 */
import { modelFacts } from "@portrait-upscale/models";
import { PortraitError, type JobSettings } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import type { ResultSink } from "../image/result-sink";
import { tileRunner, type InferencePool, type InferenceResult, type ProviderName } from "../inference/index";
import { runPortraitPipeline, type Face, type PortraitNote, type RunDetector } from "../portrait/index";
import { ASSUMED_FACES, faceRestorePass, pricePass, routedCostRatio, UNPLANNED, withPlannedPass } from "../cost/cost-model";
import { ProgressTracker, type WeightedStep } from "./progress";
import { faceRestoreRunner } from "../face-restore/restore-faces";
import { broughtModel } from "../user-models/catalog";
import { portraitModelIds, portraitTiles, sessionPlan } from "./memory-plan";
import type { UpscaleSettings } from "./settings";
import type { JobTiles } from "../tiling/job-tiles";
import type { UpscaleImageResult, UpscaleRunOptions } from "./upscale-image";


/** Face detection and the blend, relative to one fidelity pass over the same pixels (only ratios matter, for progress). */
const FACES_SHARE = 0.05;
const BLEND_SHARE = 0.05;

/** A model's seconds per input megapixel on CPU (the manifest's), as a step weight. */
function costOf(modelId: string): number {
  return modelFacts().byId(modelId).cost("cpu").secondsPerInputMegapixel;
}

/** What the portrait pipeline found and decided, for summaries and the review. */
export interface PortraitOutcome {
  /** The resolved settings the pipeline ran with (preset and overrides merged). */
  readonly settings: JobSettings;
  /** Faces in input pixels. */
  readonly faces: readonly Face[];
  readonly notes: readonly PortraitNote[];
  /** The fidelity model's image at the output size, when `keepBranches` asked for it. */
  readonly fidelity?: RgbImage;
  /** The face detector models that ran. */
  readonly detectors: readonly string[];
}

/** The bare path's result without its single-model plan, plus what the pipeline found. */
export interface PortraitImageResult extends Omit<UpscaleImageResult, "plan" | "image"> {
  /** Absent when the result went to `options.sink`. */
  readonly image?: RgbImage;
  readonly portrait: PortraitOutcome;
}

export interface PortraitRunOptions extends UpscaleRunOptions {
  /** Keep the fidelity branch in the result (for a review). Costs one output-sized image. */
  readonly keepBranches?: boolean;
  /** Takes the result window by window instead of a float image (see `PortraitDeps.sink`). */
  readonly sink?: ResultSink;
}

/**
 * The steps the pipeline reports for these settings, weighted by their cost: faces, an
 * optional clean-up, then per pass fidelity, detail (unless the fidelity model runs alone)
 * and blend. A second pass starts from an image `scale`× larger, so it weighs `scale²` more.
 * A brought face-restore model comes last, priced by the cost model per face (one face
 * assumed: the plan is made before detection) relative to the `image`'s input megapixels.
 */
export function portraitSteps(settings: JobSettings, image: { readonly width: number; readonly height: number } = { width: 512, height: 512 }): WeightedStep[] {
  const facts = modelFacts();
  const thick = costOf(facts.reaching(settings.models.fidelity, 2).id);
  const steps: WeightedStep[] = [{ stage: "faces", weight: FACES_SHARE * thick }];
  if (settings.cleanup) steps.push({ stage: "cleanup", weight: thick });
  const passes = settings.twoPass && settings.scale >= 4 ? [2, settings.scale / 2] : [settings.scale];
  let pixels = 1;
  for (const scale of passes) {
    steps.push({ stage: "fidelity", weight: pixels * costOf(facts.reaching(settings.models.fidelity, scale).id) });
    if (settings.models.detail) steps.push({ stage: "detail", weight: pixels * costOf(facts.forChoice(settings.models.detail, 4).id) });
    steps.push({ stage: "blend", weight: pixels * scale * scale * BLEND_SHARE * thick });
    pixels *= scale * scale;
  }
  if (settings.faceRestore) {
    const restore = pricePass(faceRestorePass(settings.faceRestore.model, ASSUMED_FACES), "cpu")[0];
    steps.push({ stage: "restore", weight: restore.seconds / ((image.width * image.height) / 1e6) });
  }
  return steps;
}

/**
 * Upscales a portrait with the pipeline on `pool`: `settings.portrait` says what runs.
 * Rejects with CANCELLED soon after `options.signal` aborts.
 * @example const { image, portrait } = await upscalePortrait(input, pool, portraitSettings(store, { preset: "fast-preview" }));
 */
export async function upscalePortrait(
  image: RgbImage,
  pool: InferencePool,
  settings: UpscaleSettings,
  options: PortraitRunOptions = {},
  tracker: ProgressTracker = new ProgressTracker(options.onProgress),
): Promise<PortraitImageResult> {
  const job = settings.portrait;
  if (!job) throw new PortraitError("INTERNAL", "The portrait path needs portrait settings.");
  if (image.width < 1 || image.height < 1) throw new PortraitError("INPUT_EMPTY", undefined, { width: image.width, height: image.height });
  const tiles = portraitTiles({ ...settings, portrait: job }, image, pool.provider);
  const { tile, stageTiles } = tiles;
  pool.planJob(sessionPlan(portraitModelIds(job), tiles));
  const providers = new Set<ProviderName>();
  const notices = new Set<string>();
  let inferenceMs = 0;
  const onResult = (result: InferenceResult): void => {
    providers.add(result.provider);
    inferenceMs += result.inferenceMs;
    if (result.notice) notices.add(result.notice);
  };
  const signal = options.signal;
  // Like poolDetector, but the detector's runs count in the provider and inference time too.
  const runDetector: RunDetector = async (modelId, input, size) => {
    const result = await pool.run(modelId, [{ data: input, dims: [1, size, size, 3] }], { signal });
    onResult(result);
    return result.outputNames.map((name) => result.outputs[name].data as Float32Array);
  };
  tracker.portraitStarted(portraitSteps(job, image));
  let known = UNPLANNED;
  const { presetId: _presetId, ...pipelineSettings } = job;
  const result = await runPortraitPipeline(image, pipelineSettings, {
    tileRunner: (modelId) => tileRunner(pool, modelId, onResult, stageTiles[modelId]),
    restoreFace: (modelId) => faceRestoreRunner(pool, modelId, broughtModel(modelId, "face-restore").range, onResult),
    runDetector,
    maxTile: tile,
    ...(signal ? { signal } : {}),
    onProgress: (stage, fraction) => tracker.portraitStage(stage, fraction),
    // The estimate assumed whole-image passes and one face: each pass is repriced as routing plans it.
    onPlanned: (pass, runs, faces) => {
      const next = withPlannedPass(known, pass, runs, faces);
      tracker.refine(routedCostRatio(job, image.width, image.height, tiles, known, next, pool.provider));
      known = next;
    },
    ...(options.keepBranches ? { keepBranches: true } : {}),
    ...(options.sink ? { sink: options.sink } : {}),
  });
  if (signal?.aborted) throw new PortraitError("CANCELLED");
  // Detector, landmark and matte models are reported apart from the models that made the pixels.
  const isDetector = (id: string): boolean => ["detector", "landmarks", "matte"].includes(modelFacts().roleOf(id));
  const models = result.models.filter((id) => !isDetector(id));
  const detectors = result.models.filter(isDetector);
  // A fallback mid-job leaves both providers in the set; the CPU one ran the rest.
  const provider: ProviderName = providers.size === 1 ? [...providers][0] : providers.has("cpu") ? "cpu" : pool.provider;
  const fidelity = result.branches?.fidelity;
  return {
    ...(result.image ? { image: result.image } : {}),
    models,
    provider,
    notes: [...result.notes.map((note) => note.message), ...notices],
    tile,
    inferenceMs,
    portrait: {
      settings: job,
      faces: result.faces,
      notes: result.notes,
      detectors,
      ...(fidelity ? { fidelity } : {}),
    },
  };
}

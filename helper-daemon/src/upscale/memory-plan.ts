/**
 * A job's memory plan: which sessions it keeps warm, the largest image one model run sees, and
 * the tiles that fit them, the image buffers and the process within the memory budget.
 */
import { loadManifest, modelFacts } from "@portrait-upscale/models";
import type { JobSettings } from "@portrait-upscale/shared";
import { chooseTile, memoryBudget } from "../tiling/tile-size";
import { planJobTiles, type FixedInputSession, type JobModel, type JobTiles } from "../tiling/job-tiles";
import { reservedBytes, type OutputLayout } from "../tiling/image-memory";
import { PASS_WINDOW } from "../portrait/tiled-pass";
import { BLEND_CONTEXT } from "../portrait/blend";
import { DERIVED_CONTEXT } from "../portrait/derived-fidelity";
import { lightDetailModel } from "../portrait/branch-models";
import type { ModelPlan, UpscaleSettings } from "./settings";

/**
 * The models whose tiles a portrait run may size: the fidelity model reaching the scale (and
 * its ×2, which clean-up and two-pass runs use), the detail model and the light detail model
 * that draws its cells off faces. Tiles are sized for the hungriest of them.
 */
export function portraitModelIds(settings: JobSettings): string[] {
  const facts = modelFacts();
  const ids = new Set([facts.reaching(settings.models.fidelity, 2).id, facts.reaching(settings.models.fidelity, settings.scale).id]);
  if (settings.models.detail) ids.add(facts.forChoice(settings.models.detail, 4).id);
  const light = lightDetailModel(settings);
  if (light) ids.add(light.id);
  return [...ids];
}

/** What a job holds besides its models: its scale, the file's samples, and whether portrait passes (windows, face models) run. */
export interface JobShape {
  readonly scale: number;
  readonly portrait: boolean;
  /** 8-bit RGB unless known. */
  readonly output?: OutputLayout;
  /** Whether a portrait pass of several windows keeps the window that calibrates the light detail model (portrait/light-gain.ts). */
  readonly calibrationWindow?: boolean;
}

/** Source pixels a portrait window reads beyond what it owns (the blend's chain, the derived fidelity's). */
const PASS_CONTEXT = BLEND_CONTEXT + DERIVED_CONTEXT;

/** Roles of the portrait run's fixed-input models: each keeps one small session warm. */
const FACE_ROLES: readonly string[] = ["detector", "landmarks", "matte"];

/** The face models' sessions, each at its one input size (manifest `inputShape`, NHWC). */
function faceSessions(provider: string): FixedInputSession[] {
  const facts = modelFacts();
  return loadManifest()
    .models.filter((entry) => entry.facts !== undefined && FACE_ROLES.includes(entry.facts.role))
    .map((entry) => ({ ...facts.byId(entry.id).memory(provider), pixels: (entry.inputShape[1] ?? 1) * (entry.inputShape[2] ?? 1) }));
}

/** A model's memory, context and cost on `provider`, and its stages' when it is split. */
function jobModel(id: string, provider: string): JobModel {
  const model = modelFacts().byId(id);
  const stages = model.stages?.map((stage) => ({ ...stage.memory(provider), context: stage.context, cost: stage.cost(provider).secondsPerInputMegapixel, scale: stage.scale, outputChannels: stage.outputChannels }));
  return { id, ...model.memory(provider), context: model.context, cost: model.cost(provider).secondsPerInputMegapixel, ...(stages ? { stages } : {}) };
}

/** The largest image one model run of the job sees: the image, or a portrait pass window with its and the widest model's context. */
export function largestRun(modelIds: readonly string[], image: { readonly width: number; readonly height: number }, shape: JobShape): { readonly width: number; readonly height: number } {
  if (!shape.portrait) return { width: image.width, height: image.height };
  const edge = PASS_WINDOW + 2 * PASS_CONTEXT + 2 * Math.max(0, ...modelIds.map((id) => modelFacts().byId(id).context));
  return { width: Math.min(image.width, edge), height: Math.min(image.height, edge) };
}

/**
 * The job's tiles for running `modelIds` over a `width`×`height` image on `provider`: the
 * planned ones when given, the user's `tile` (stages then size themselves), else every resident session's largest window,
 * the image buffers and the process together within the memory budget (tiling/job-tiles.ts).
 * On a GPU provider the budget is the device's and holds only the sessions.
 * @example jobTiles(["esrgan-thick-x2", "realesrgan-x4plus"], { width: 6000, height: 4000 }, { memoryBudget: 4 * 1024 ** 3 }, "cpu", { scale: 2, portrait: true })
 */
export function jobTiles(
  modelIds: readonly string[],
  image: { readonly width: number; readonly height: number },
  settings: Pick<UpscaleSettings, "tile" | "memoryBudget" | "plannedTiles">,
  provider: string,
  shape: JobShape,
): JobTiles {
  if (settings.plannedTiles !== undefined) return settings.plannedTiles;
  if (settings.tile !== undefined) return { tile: chooseTile({ width: image.width, height: image.height, budget: 1, models: [], override: settings.tile }), stageTiles: {} };
  const models = modelIds.map((id) => jobModel(id, provider));
  const window = shape.portrait ? PASS_WINDOW + 2 * PASS_CONTEXT : 0;
  const run = largestRun(modelIds, image, shape);
  const output = shape.output ?? { channels: 3, bitDepth: 8 };
  return planJobTiles({
    run,
    budget: memoryBudget({ provider, ...(settings.memoryBudget !== undefined ? { configured: settings.memoryBudget } : {}) }),
    reserved:
      provider === "cpu"
        ? reservedBytes({ width: image.width, height: image.height, scale: shape.scale, output, passWindow: window, sinkOutput: shape.portrait, calibrationWindow: shape.calibrationWindow === true })
        : 0,
    models,
    fixedInputs: shape.portrait ? faceSessions(provider) : [],
    refuse: settings.memoryBudget !== undefined,
  });
}

/**
 * What decides the sessions a job keeps warm and the buffers their arenas hold: its models and
 * its tiles (`InferencePool.planJob` releases the warm sessions when this changes).
 * @example pool.planJob(sessionPlan(portraitModelIds(job), tiles))
 */
export function sessionPlan(modelIds: readonly string[], tiles: JobTiles): string {
  return JSON.stringify({ models: [...modelIds].sort(), tile: tiles.tile, stageTiles: tiles.stageTiles });
}

/** The tiles of a bare model run: the user's, or what the memory budget allows the run. */
export function modelTiles(plan: ModelPlan, image: { readonly width: number; readonly height: number }, settings: UpscaleSettings, provider: string): JobTiles {
  return jobTiles([plan.modelId], image, settings, provider, { scale: plan.nativeScale, portrait: false });
}

/** The tiles of a portrait run: the user's, or what the memory budget allows all its sessions together. */
export function portraitTiles(settings: UpscaleSettings & { readonly portrait: JobSettings }, image: { readonly width: number; readonly height: number }, provider: string): JobTiles {
  const portrait = settings.portrait;
  // The second of two 2× passes runs on the image doubled.
  const passInput = Math.max(image.width, image.height) * (portrait.twoPass && portrait.scale >= 4 ? 2 : 1);
  const calibrationWindow = lightDetailModel(portrait) !== null && passInput > PASS_WINDOW;
  return jobTiles(portraitModelIds(portrait), image, settings, provider, { scale: portrait.scale, portrait: true, calibrationWindow });
}

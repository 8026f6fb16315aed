/**
 * The upscale service's options: validated once at the edge (CLI flags, HTTP query, WebSocket
 * message), frozen, and trusted inside. Which model file runs for a choice and a scale, its
 * context and its memory come from the manifest's facts (`modelFacts()`).
 */
import { loadManifest, modelFacts } from "@portrait-upscale/models";
import { invalidParameter, isUserModelRef, type JobSettings, type Overrides, type UserModelRef } from "@portrait-upscale/shared";
import { broughtModelsOf } from "../user-models/catalog";
import { chooseTile, MAX_TILE, MIN_TILE, memoryBudget, parseMemoryBudget } from "../tiling/tile-size";
import { planJobTiles, type FixedInputSession, type JobModel, type JobTiles } from "../tiling/job-tiles";
import { reservedBytes, type OutputLayout } from "../tiling/image-memory";
import { PASS_WINDOW } from "../portrait/tiled-pass";
import { BLEND_CONTEXT } from "../portrait/blend";
import { DERIVED_CONTEXT } from "../portrait/derived-fidelity";

export { MAX_TILE, MIN_TILE };

/** The models a user chooses between, by their short names. */
export const MODEL_CHOICES = ["x4plus", "x4fast", "thick"] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** Output scales offered. 6 has no native model: ×4 (or ×8) then Lanczos. */
export const SCALES = [2, 3, 4, 6, 8] as const;
export type Scale = (typeof SCALES)[number];

export interface UpscaleSettings {
  /** The bare model, or the portrait run's detail model (a brought one is `user:NAME`). */
  readonly model: ModelChoice | UserModelRef;
  readonly scale: Scale;
  /** Largest kept part of a tile, input pixels (the model's context is added around it); undefined chooses from the memory budget. */
  readonly tile?: number;
  /** Bytes the whole job may use (sessions, images, windows); undefined: a share of total memory on CPU, a fixed figure on GPUs (tiling/tile-size.ts). */
  readonly memoryBudget?: number;
  /** Tiles planned for another image, used as they are: the memory bench runs 1 MP on a 24 MP job's tiles. Never set from a request. */
  readonly plannedTiles?: JobTiles;
  /**
   * The portrait pipeline's settings (a preset merged with overrides, see `portraitSettings`).
   * When set, the pipeline runs (faces, fidelity and detail branches, blend); otherwise the
   * bare model `model` does.
   */
  readonly portrait?: JobSettings;
  /**
   * The brought models the portrait run names, `{ "user:NAME": sha256 }`: part of what decides
   * the pixels, so a queue worker with another file of the same name refuses the job.
   */
  readonly broughtModels?: Readonly<Record<string, string>>;
}

/** Raw, unvalidated values as they arrive from a command line or a request. */
export interface RawUpscaleSettings {
  readonly model?: unknown;
  readonly scale?: unknown;
  readonly tile?: unknown;
  readonly memoryBudget?: unknown;
}

export const DEFAULT_SETTINGS: UpscaleSettings = Object.freeze({ model: "x4plus", scale: 4 });


function numeric(value: unknown): unknown {
  return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
}

/**
 * Validates settings with the one message shape; strings of digits are accepted for numbers
 * (they come from command lines and query strings).
 * @example parseUpscaleSettings({ model: "thick", scale: "2" }) // { model: "thick", scale: 2 }
 */
export function parseUpscaleSettings(raw: RawUpscaleSettings): UpscaleSettings {
  const model = raw.model ?? DEFAULT_SETTINGS.model;
  if (!(MODEL_CHOICES as readonly unknown[]).includes(model)) {
    throw invalidParameter(`one of ${MODEL_CHOICES.join(", ")}`, "model", model, "MODEL_UNKNOWN");
  }
  const scale = numeric(raw.scale ?? DEFAULT_SETTINGS.scale);
  if (!(SCALES as readonly unknown[]).includes(scale)) throw invalidParameter(`one of ${SCALES.join(", ")}`, "scale", raw.scale);
  const tile = raw.tile === undefined ? undefined : numeric(raw.tile);
  if (tile !== undefined && !(typeof tile === "number" && Number.isInteger(tile) && tile >= MIN_TILE && tile <= MAX_TILE)) {
    throw invalidParameter(`an integer from ${MIN_TILE} to ${MAX_TILE}`, "tile", raw.tile);
  }
  const memoryBudget = raw.memoryBudget === undefined ? undefined : parseMemoryBudget(raw.memoryBudget, "memoryBudget");
  return Object.freeze({
    model: model as ModelChoice,
    scale: scale as Scale,
    ...(tile !== undefined ? { tile: tile as number } : {}),
    ...(memoryBudget !== undefined ? { memoryBudget } : {}),
  });
}

/** Which model file runs and what resampling follows. */
export interface ModelPlan {
  readonly modelId: string;
  readonly nativeScale: number;
  readonly targetScale: Scale;
  /** The model's context around every tile, input pixels. */
  readonly context: number;
}

/**
 * The model for a choice and scale: the one whose native scale is the target when it exists
 * (thick ×2/×3/×4/×8), otherwise the native ×4 model followed by Lanczos-3 to the exact size
 * (as Real-ESRGAN's "outscale" does; running a model twice compounds its artifacts).
 */
export function planModel(settings: Pick<UpscaleSettings, "model" | "scale">): ModelPlan {
  const chosen = modelFacts().forChoice(settings.model, settings.scale);
  return { modelId: chosen.id, nativeScale: chosen.nativeScale, targetScale: settings.scale, context: chosen.context };
}

/** What resolves a preset id and overrides into a job's settings (the daemon's preset store). */
export interface PresetResolver {
  resolve(id: string | undefined, overrides?: Overrides): JobSettings;
}

/** Raw portrait controls as they arrive from a command line or a job: strings of digits are accepted for numbers. */
export interface RawPortraitSettings {
  /** A preset id; the default preset when undefined. */
  readonly preset?: unknown;
  readonly model?: unknown;
  readonly scale?: unknown;
  readonly creativity?: unknown;
  readonly resemblance?: unknown;
  readonly denoise?: unknown;
  /** A brought face-restore model (`user:NAME` or NAME), or "off" / null for none. */
  readonly faceRestore?: unknown;
  readonly faceRestoreStrength?: unknown;
  readonly tile?: unknown;
  readonly memoryBudget?: unknown;
}

/** The face-restore override of a raw value: null for "off", `user:NAME` for NAME or `user:NAME`. */
function faceRestoreOverride(value: unknown): UserModelRef | null {
  if (value === null || value === "off") return null;
  const ref = typeof value === "string" && !value.startsWith("user:") ? `user:${value}` : value;
  if (!isUserModelRef(ref)) throw invalidParameter('the name of a face-restore model added with `models add` (or "off")', "faceRestore", value);
  return ref;
}

/**
 * Settings for the portrait pipeline: the preset (the default one when none is named) with
 * the given overrides on top. A locked preset refuses overrides that change its values
 * (PRESET_LOCKED naming the fields); an unknown id is PRESET_UNKNOWN.
 * @example portraitSettings(store, { preset: "fast-preview", creativity: "0.2" }).portrait?.creativity // 0.2
 */
export function portraitSettings(presets: PresetResolver, raw: RawPortraitSettings): UpscaleSettings {
  if (raw.preset !== undefined && (typeof raw.preset !== "string" || raw.preset === "")) throw invalidParameter("a preset id", "preset", raw.preset);
  if (raw.model !== undefined && !(MODEL_CHOICES as readonly unknown[]).includes(raw.model)) {
    throw invalidParameter(`one of ${MODEL_CHOICES.join(", ")}`, "model", raw.model, "MODEL_UNKNOWN");
  }
  const scale = raw.scale === undefined ? undefined : numeric(raw.scale);
  if (scale !== undefined && !(SCALES as readonly unknown[]).includes(scale)) throw invalidParameter(`one of ${SCALES.join(", ")}`, "scale", raw.scale);
  const overrides: { -readonly [K in keyof Overrides]: Overrides[K] } = {};
  if (raw.model !== undefined) overrides.model = raw.model as ModelChoice;
  if (scale !== undefined) overrides.scale = scale as Scale;
  for (const name of ["creativity", "resemblance", "denoise"] as const) {
    if (raw[name] === undefined) continue;
    const value = numeric(raw[name]);
    if (!(typeof value === "number" && value >= 0 && value <= 1)) throw invalidParameter("a number from 0 to 1", name, raw[name]);
    overrides[name] = value;
  }
  if (raw.faceRestore !== undefined) overrides.faceRestore = faceRestoreOverride(raw.faceRestore);
  if (raw.faceRestoreStrength !== undefined) {
    const value = numeric(raw.faceRestoreStrength);
    if (!(typeof value === "number" && value >= 0 && value <= 1)) throw invalidParameter("a number from 0 to 1", "faceRestoreStrength", raw.faceRestoreStrength);
    overrides.faceRestoreStrength = value;
  }
  const { tile, memoryBudget } = parseUpscaleSettings({ tile: raw.tile, memoryBudget: raw.memoryBudget });
  const job = presets.resolve(raw.preset as string | undefined, overrides);
  const broughtModels = broughtModelsOf(job);
  return Object.freeze({
    model: job.models.detail ?? "thick",
    scale: job.scale,
    ...(tile !== undefined ? { tile } : {}),
    ...(memoryBudget !== undefined ? { memoryBudget } : {}),
    portrait: job,
    ...(Object.keys(broughtModels).length > 0 ? { broughtModels } : {}),
  });
}

/**
 * The models whose tiles a portrait run may size: the fidelity model reaching the scale (and
 * its ×2, which clean-up and two-pass runs use) and the detail model. Tiles are sized for the
 * hungriest of them.
 */
export function portraitModelIds(settings: JobSettings): string[] {
  const facts = modelFacts();
  const ids = new Set([facts.reaching(settings.models.fidelity, 2).id, facts.reaching(settings.models.fidelity, settings.scale).id]);
  if (settings.models.detail) ids.add(facts.forChoice(settings.models.detail, 4).id);
  return [...ids];
}

/** What a job holds besides its models: its scale, the file's samples, and whether portrait passes (windows, face models) run. */
export interface JobShape {
  readonly scale: number;
  readonly portrait: boolean;
  /** 8-bit RGB unless known. */
  readonly output?: OutputLayout;
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
    reserved: provider === "cpu" ? reservedBytes({ width: image.width, height: image.height, scale: shape.scale, output, passWindow: window, sinkOutput: shape.portrait }) : 0,
    models,
    fixedInputs: shape.portrait ? faceSessions(provider) : [],
    refuse: settings.memoryBudget !== undefined,
  });
}

/** The tiles of a bare model run: the user's, or what the memory budget allows the run. */
export function modelTiles(plan: ModelPlan, image: { readonly width: number; readonly height: number }, settings: UpscaleSettings, provider: string): JobTiles {
  return jobTiles([plan.modelId], image, settings, provider, { scale: plan.nativeScale, portrait: false });
}

/** The tiles of a portrait run: the user's, or what the memory budget allows all its sessions together. */
export function portraitTiles(settings: UpscaleSettings & { readonly portrait: JobSettings }, image: { readonly width: number; readonly height: number }, provider: string): JobTiles {
  return jobTiles(portraitModelIds(settings.portrait), image, settings, provider, { scale: settings.portrait.scale, portrait: true });
}

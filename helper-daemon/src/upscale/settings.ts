/**
 * The upscale service's options: validated once at the edge (CLI flags, HTTP query, WebSocket
 * message), frozen, and trusted inside. Which model file runs for a choice and a scale, and its
 * context, come from the manifest's facts (`modelFacts()`); the job's tiles under its memory
 * budget are planned in `memory-plan.ts`.
 */
import { modelFacts } from "@portrait-upscale/models";
import { invalidParameter, isUserModelRef, type JobSettings, type Overrides, type UserModelRef } from "@portrait-upscale/shared";
import { broughtModelsOf } from "../user-models/catalog";
import { MAX_TILE, MIN_TILE, parseMemoryBudget } from "../tiling/tile-size";
import type { JobTiles } from "../tiling/job-tiles";

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

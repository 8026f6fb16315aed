/**
 * The upscale service's options: validated once at the edge (CLI flags, HTTP query, WebSocket
 * message), frozen, and trusted inside. Which model file runs for a choice and a scale is
 * decided here, from the manifest's native scales.
 */
import { findModel, loadManifest } from "@portrait-upscale/models";
import { invalidParameter, type JobSettings, type Overrides } from "@portrait-upscale/shared";

/** The models a user chooses between, by their short names. */
export const MODEL_CHOICES = ["x4plus", "x4fast", "thick"] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** Output scales offered. 6 has no native model: ×4 (or ×8) then Lanczos. */
export const SCALES = [2, 3, 4, 6, 8] as const;
export type Scale = (typeof SCALES)[number];

/** Model ids per choice; "thick" has one model per native scale. */
const MODEL_IDS: Record<ModelChoice, readonly string[]> = {
  x4plus: ["realesrgan-x4plus"],
  x4fast: ["realesrgan-x4fast"],
  thick: ["esrgan-thick-x2", "esrgan-thick-x3", "esrgan-thick-x4", "esrgan-thick-x8"],
};

/**
 * Peak bytes per input pixel of a tile (measured on the CPU provider: x4plus 1.3 GB at 256²);
 * used to size tiles to the free memory.
 */
const BYTES_PER_TILE_PIXEL: Record<ModelChoice, number> = { x4plus: 20_000, x4fast: 2_600, thick: 9_000 };

/**
 * Tile overlap per model, input pixels. Measured on 128² crops against an untiled run:
 * with 16 px, thick stays within 0.15/255 but x4fast differs by up to 3–9/255 and x4plus
 * (a deep RRDB net with a very wide receptive field) by up to 33/255 at the seams.
 */
const OVERLAP: Record<ModelChoice, number> = { x4plus: 96, x4fast: 40, thick: 16 };

export interface UpscaleSettings {
  readonly model: ModelChoice;
  readonly scale: Scale;
  /** Largest tile edge in input pixels; undefined chooses from free memory. */
  readonly tile?: number;
  /**
   * The portrait pipeline's settings (a preset merged with overrides, see `portraitSettings`).
   * When set, the pipeline runs (faces, fidelity and detail branches, blend); otherwise the
   * bare model `model` does.
   */
  readonly portrait?: JobSettings;
}

/** Raw, unvalidated values as they arrive from a command line or a request. */
export interface RawUpscaleSettings {
  readonly model?: unknown;
  readonly scale?: unknown;
  readonly tile?: unknown;
}

export const DEFAULT_SETTINGS: UpscaleSettings = Object.freeze({ model: "x4plus", scale: 4 });

/** Smallest tile a user may ask for; below it the overlap dominates and the model sees too little context. */
export const MIN_TILE = 32;
export const MAX_TILE = 2048;

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
  return Object.freeze({
    model: model as ModelChoice,
    scale: scale as Scale,
    ...(tile !== undefined ? { tile: tile as number } : {}),
  });
}

/** Which model file runs and what resampling follows. */
export interface ModelPlan {
  readonly modelId: string;
  readonly nativeScale: number;
  readonly targetScale: Scale;
  /** Peak bytes per tile pixel, for tile sizing. */
  readonly bytesPerTilePixel: number;
  /** Overlap between tiles, input pixels. */
  readonly overlap: number;
}

/**
 * The model for a choice and scale: the one whose native scale is the target when it exists
 * (thick ×2/×3/×4/×8), otherwise the native ×4 model followed by Lanczos-3 to the exact size
 * (as Real-ESRGAN's "outscale" does; running a model twice compounds its artifacts).
 */
export function planModel(settings: Pick<UpscaleSettings, "model" | "scale">): ModelPlan {
  const manifest = loadManifest();
  const candidates = MODEL_IDS[settings.model].map((id) => findModel(manifest, id));
  const exact = candidates.find((model) => model.nativeScale === settings.scale);
  const chosen = exact ?? candidates.find((model) => model.nativeScale === 4) ?? candidates[0];
  return {
    modelId: chosen.id,
    nativeScale: chosen.nativeScale,
    targetScale: settings.scale,
    bytesPerTilePixel: BYTES_PER_TILE_PIXEL[settings.model],
    overlap: OVERLAP[settings.model],
  };
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
  readonly tile?: unknown;
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
  const tile = raw.tile === undefined ? undefined : parseUpscaleSettings({ tile: raw.tile }).tile;
  const job = presets.resolve(raw.preset as string | undefined, overrides);
  return Object.freeze({
    model: job.models.detail ?? "thick",
    scale: job.scale,
    ...(tile !== undefined ? { tile } : {}),
    portrait: job,
  });
}

/**
 * Peak bytes per tile pixel of the heaviest model a portrait run uses (both branches share
 * one tile size), for sizing its tiles to the free memory.
 */
export function portraitBytesPerTilePixel(settings: JobSettings): number {
  return Math.max(BYTES_PER_TILE_PIXEL.thick, settings.models.detail ? BYTES_PER_TILE_PIXEL[settings.models.detail] : 0);
}

/**
 * The one request every front end builds: the command line's `upscale` and `batch`, the
 * daemon's jobs (HTTP and WebSocket), and queue workers. It is validated once, where it
 * arrives, and frozen; `runUpscaleRequest` (run-request.ts) trusts it.
 */
import { createHash } from "node:crypto";
import { invalidParameter } from "@portrait-upscale/shared";
import type { DaemonConfig } from "../config/config";
import type { ImageFormat, ImageLimits, RawHeader } from "../image/codec";
import { parseUpscaleSettings, portraitSettings, type PresetResolver, type RawPortraitSettings, type UpscaleSettings } from "./settings";

/** Where the pixels come from: a file, an image file's bytes, or raw pixels with their layout. */
export type RequestImage =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "encoded"; readonly bytes: Uint8Array }
  | { readonly kind: "raw"; readonly bytes: Uint8Array; readonly header: RawHeader };

export interface UpscaleRequest {
  readonly image: RequestImage;
  readonly settings: UpscaleSettings;
  /** The result's format; like the input when undefined. */
  readonly format?: ImageFormat;
  /** Review the result at 100 % (faces, regions, contact sheet). */
  readonly review: boolean;
  /** The one set of size limits (the config's), for every front end. */
  readonly limits: ImageLimits;
}

/** The portrait controls, which only a preset run has. */
const PORTRAIT_CONTROLS = ["creativity", "resemblance", "denoise", "faceRestore", "faceRestoreStrength"] as const;

/** Raw options as a command line, a queue job or a request names them. */
export interface RawRequestOptions extends RawPortraitSettings {
  /**
   * Without a preset, `model` alone runs that bare model (scripts and benchmarks); the daemon
   * always runs a preset, so it leaves this false.
   */
  readonly allowBareModel?: boolean;
  /** How an option is named in messages (the command line says `--scale`). */
  readonly optionName?: (name: string) => string;
}

/**
 * The settings a request runs with: the bare model for `model` without `preset` (when
 * allowed), otherwise the preset (the default one when none is named) with the overrides on
 * top. Throws INVALID_OPTION, MODEL_UNKNOWN, PRESET_UNKNOWN or PRESET_LOCKED.
 * @example requestSettings(store, { preset: "fast-preview", creativity: "0.2" })
 */
export function requestSettings(presets: PresetResolver, raw: RawRequestOptions): UpscaleSettings {
  if (raw.allowBareModel && raw.preset === undefined && raw.model !== undefined) {
    const given = PORTRAIT_CONTROLS.find((name) => raw[name] !== undefined);
    const named = raw.optionName ?? ((name: string) => name);
    // A bare model has no blend to steer; silently ignoring the value would mislead.
    if (given) {
      throw invalidParameter(`${named("preset")} ID alongside ${named(given)} (${named("model")} alone runs the bare model)`, named(given), raw[given]);
    }
    return parseUpscaleSettings({ model: raw.model, scale: raw.scale, tile: raw.tile, memoryBudget: raw.memoryBudget });
  }
  return portraitSettings(presets, raw);
}

/** The image limits of a configuration: the same for the command line, the daemon and workers. */
export function imageLimitsOf(config: DaemonConfig): ImageLimits {
  return Object.freeze({ maxInputPixels: config.limits.maxInputPixels, maxOutputPixels: config.limits.maxOutputPixels });
}

/** Freezes a request built from validated parts. */
export function upscaleRequest(parts: UpscaleRequest): UpscaleRequest {
  return Object.freeze({ ...parts });
}

/**
 * A short hash of what decides a result's pixels besides the input: the resolved settings
 * (preset values and overrides) and the output format. Queue jobs carry it so that every
 * machine renders the same recipe, and finished outputs are recognised on a retry.
 */
export function settingsHash(settings: UpscaleSettings, format: ImageFormat | undefined): string {
  return createHash("sha256").update(stableJson({ settings, format: format ?? null })).digest("hex").slice(0, 16);
}

/** JSON with object keys sorted, so equal values always hash alike. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

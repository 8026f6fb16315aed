/**
 * How large a tile may be: as large as a memory budget allows, the whole image when it fits.
 * The budget comes from the machine's total memory (or the device's on a GPU provider) or from
 * the user's setting, never from momentary free memory: the same input and settings must give
 * the same tiles, hence the same bytes. A real shortage is handled by halving on out-of-memory.
 */
import { totalmem } from "node:os";
import { invalidParameter } from "@portrait-upscale/shared";

/** Smallest and largest tile (the kept part, input pixels) a user may ask for. */
export const MIN_TILE = 32;
export const MAX_TILE = 4096;
/** Automatic tiles are multiples of this, so that few input shapes occur. */
export const TILE_STEP = 64;

/** Share of the machine's memory one job may plan for on CPU (its sessions, images and windows); the rest is the OS and other jobs. */
export const CPU_BUDGET_SHARE = 0.25;
/**
 * Budget on GPU providers when the user sets none: onnxruntime-node cannot report device memory,
 * so plan for a 4 GB card with headroom (fp16 halves the model's need).
 */
export const GPU_DEFAULT_BUDGET = 3 * 1024 ** 3;

/** Peak memory of one run: `fixedBytes + bytesPerTilePixel × window pixels` (manifest facts). */
export interface MemoryNeeds {
  readonly bytesPerTilePixel: number;
  readonly fixedBytes: number;
}

/** What a model needs in memory (from the manifest's facts for the provider that runs). */
export interface TileModelNeeds extends MemoryNeeds {
  /** Context added around every tile, input pixels. */
  readonly context: number;
}

/**
 * The memory budget in bytes: the user's when given, otherwise a share of total memory on CPU
 * or {@link GPU_DEFAULT_BUDGET} on a GPU provider.
 * @example memoryBudget({ provider: "cpu", totalBytes: 24 * 1024 ** 3 }) // 6 GiB
 */
export function memoryBudget(options: { readonly provider: string; readonly configured?: number; readonly totalBytes?: number }): number {
  if (options.configured !== undefined) return options.configured;
  if (options.provider !== "cpu") return GPU_DEFAULT_BUDGET;
  return Math.floor((options.totalBytes ?? totalmem()) * CPU_BUDGET_SHARE);
}

/** Options for {@link chooseTile}. */
export interface ChooseTileOptions {
  readonly width: number;
  readonly height: number;
  /** Bytes one model run may use. */
  readonly budget: number;
  /** Every model the run uses; the tile must fit the hungriest with its context. */
  readonly models: readonly TileModelNeeds[];
  /** The user's tile; wins when given. */
  readonly override?: number;
}

/**
 * The tile (kept part, input pixels) for an image: the user's, or the whole image when one
 * run of every model fits the budget, or the largest multiple of {@link TILE_STEP} whose
 * window (tile plus twice the context) fits, at least {@link MIN_TILE}.
 * @example chooseTile({ width: 2048, height: 2048, budget: 2e9, models: [{ bytesPerTilePixel: 13_000, fixedBytes: 0, context: 48 }] }) // 256
 */
export function chooseTile(options: ChooseTileOptions): number {
  const { width, height, budget, models, override } = options;
  if (override !== undefined) {
    if (!Number.isInteger(override) || override < MIN_TILE || override > MAX_TILE) {
      throw invalidParameter(`an integer from ${MIN_TILE} to ${MAX_TILE}`, "tile", override);
    }
    return override;
  }
  if (!(budget > 0)) throw invalidParameter("a positive number of bytes", "memoryBudget", budget);
  const whole = Math.max(width, height);
  const fitsWhole = models.every((model) => model.fixedBytes + model.bytesPerTilePixel * width * height <= budget);
  if (fitsWhole) return Math.max(whole, MIN_TILE);
  let tile = Infinity;
  for (const model of models) {
    const window = Math.sqrt(Math.max(0, budget - model.fixedBytes) / model.bytesPerTilePixel);
    tile = Math.min(tile, Math.floor((window - 2 * model.context) / TILE_STEP) * TILE_STEP);
  }
  return Math.min(MAX_TILE, Math.max(MIN_TILE, tile));
}

/**
 * Parses a memory budget as users write it: bytes, or a number with K, M, G (powers of 1024), e.g. `3G`.
 * @example parseMemoryBudget("1.5G") // 1610612736
 */
export function parseMemoryBudget(value: unknown, name = "memoryBudget"): number {
  const text = typeof value === "number" ? String(value) : value;
  const match = typeof text === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*$/i.exec(text) : null;
  if (match === null) throw invalidParameter("a size such as 4G, 1500M or a number of bytes", name, value);
  const unit = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2].toUpperCase() as "" | "K" | "M" | "G"];
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < 64 * 1024 ** 2) throw invalidParameter("at least 64M", name, value);
  return bytes;
}

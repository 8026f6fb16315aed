/**
 * The tiled upscale driver: cuts an image into tiles (tiling/tile-layout), hands each
 * tile to an injected runner (the inference worker), and blends the outputs back.
 * Full input and output stay in host memory; only tiles travel. Pure apart from the runner.
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { cropPlanes } from "../image/image";
import { resampleAlpha, resampleImage } from "../resample/resample";
import { createTileLayout, DEFAULT_OVERLAP } from "../tiling/tile-layout";
import type { Tile, TileLayout } from "../tiling/tile-layout";
import { fillTransparentColour } from "./alpha-fill";

/** Planar float pixels of one tile: NCHW 1×3×height×width, values nominally 0..1. */
export interface TilePixels {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Runs the model on one tile and resolves with its output (exactly scale× the input).
 * The driver never reuses `tile.data` after the call, so the runner may transfer it.
 * Throw PortraitError OUT_OF_MEMORY to make the driver retry with smaller tiles.
 */
export type TileRunner = (tile: TilePixels, signal?: AbortSignal) => Promise<TilePixels>;

/** Progress after each finished tile: `tile` counts 1..tiles. Restarts from 1 after a tile reduction. */
export interface TileProgress {
  readonly tile: number;
  readonly tiles: number;
}

/** Something the user should know that did not stop the job. */
export interface UpscaleNotice {
  readonly code: "TILE_REDUCED";
  readonly message: string;
  readonly data: { readonly from: number; readonly to: number };
}

/** Options for {@link upscaleTiled}. */
export interface UpscaleTiledOptions {
  /** The model's native integer scale. */
  readonly scale: number;
  /** Largest tile edge sent to the runner, input pixels (overlap included). */
  readonly maxTile: number;
  /** Overlap between neighbouring tiles, input pixels. Default 16. */
  readonly overlap?: number;
  /** The smallest tile tried after out-of-memory failures. Default 32. */
  readonly minTile?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TileProgress) => void;
  readonly onNotice?: (notice: UpscaleNotice) => void;
}

/** The smallest tile the driver falls back to after out-of-memory failures. */
export const DEFAULT_MIN_TILE = 32;

/**
 * Upscales `image` by the model's native `scale`, tile by tile.
 * Colour goes through the runner; alpha (if any) is resized with Lanczos-3, and the colour
 * of transparent pixels is first filled from their surroundings so edges get no dark fringe.
 * @example
 * const big = await upscaleTiled(image, (tile, signal) => pool.run("x4plus", tile, signal), { scale: 4, maxTile: 256 });
 */
export async function upscaleTiled(image: RgbImage, runTile: TileRunner, options: UpscaleTiledOptions): Promise<RgbImage> {
  const { scale, maxTile, signal } = options;
  const overlap = options.overlap ?? DEFAULT_OVERLAP;
  const minTile = options.minTile ?? DEFAULT_MIN_TILE;
  if (!Number.isInteger(scale) || scale < 1) throw invalidParameter("a positive integer", "scale", scale);
  if (!Number.isInteger(maxTile) || maxTile < 2) throw invalidParameter("an integer of at least 2", "maxTile", maxTile);
  if (!Number.isInteger(minTile) || minTile < 2) throw invalidParameter("an integer of at least 2", "minTile", minTile);
  if (!Number.isInteger(overlap) || overlap < 0) throw invalidParameter("a non-negative integer", "overlap", overlap);
  if (image.width < 1 || image.height < 1) throw new PortraitError("INPUT_EMPTY", undefined, { width: image.width, height: image.height });
  throwIfCancelled(signal);

  const source = image.alpha === undefined ? image.rgb : fillTransparentColour(image.rgb, image.alpha, image.width, image.height);
  const outWidth = image.width * scale;
  const outHeight = image.height * scale;
  const output = new Float32Array(3 * outWidth * outHeight);

  let tile = maxTile;
  for (;;) {
    const layout = createTileLayout({ width: image.width, height: image.height, maxTile: tile, overlap, scale });
    try {
      await runLayout(source, layout, output, runTile, options);
      break;
    } catch (error) {
      if (!(error instanceof PortraitError) || error.code !== "OUT_OF_MEMORY") throw error;
      const used = Math.max(layout.tileWidth, layout.tileHeight);
      if (used <= minTile) {
        const size = `${layout.tileWidth}×${layout.tileHeight}`;
        throw new PortraitError("OUT_OF_MEMORY", `Ran out of memory even with ${size} px tiles.`, {
          tileWidth: layout.tileWidth,
          tileHeight: layout.tileHeight,
          minTile,
          advice: "Close other applications, upscale a smaller selection or to a smaller scale, or use the x4fast model.",
          ...(error.data !== undefined ? { cause: error.data } : {}),
        });
      }
      const next = Math.max(minTile, Math.floor(used / 2));
      options.onNotice?.({
        code: "TILE_REDUCED",
        message: `Ran out of memory with ${used} px tiles; retrying with ${next} px tiles (slower, same result).`,
        data: { from: used, to: next },
      });
      tile = next;
      output.fill(0);
    }
  }

  if (image.alpha === undefined) return { width: outWidth, height: outHeight, rgb: output };
  // Lanczos rather than the model for alpha: one extra model pass would double the cost,
  // and a GAN model sharpens and invents texture in a coverage mask.
  const alpha = resampleAlpha(image.alpha, image.width, image.height, outWidth, outHeight, "lanczos3");
  return { width: outWidth, height: outHeight, rgb: output, alpha };
}

async function runLayout(
  source: Float32Array,
  layout: TileLayout,
  output: Float32Array,
  runTile: TileRunner,
  options: UpscaleTiledOptions,
): Promise<void> {
  const { signal, onProgress } = options;
  const tiles = layout.tiles;
  // Extract tile k+1 while the runner works on tile k (it runs in a worker thread).
  let next: Float32Array | undefined = extractTile(source, layout, tiles[0]);
  for (let k = 0; k < tiles.length; k++) {
    throwIfCancelled(signal);
    const tile = tiles[k];
    const data: Float32Array = next!;
    next = undefined;
    const pending = runTile({ data, width: tile.input.width, height: tile.input.height }, signal);
    if (k + 1 < tiles.length) next = extractTile(source, layout, tiles[k + 1]);
    let result: TilePixels;
    try {
      result = await pending;
    } catch (error) {
      throwIfCancelled(signal);
      if (error instanceof PortraitError) throw error;
      throw new PortraitError("INFERENCE_FAILED", `The model failed on tile ${k + 1} of ${tiles.length}: ${error instanceof Error ? error.message : String(error)}`, {
        tile: k + 1,
        tiles: tiles.length,
      });
    }
    throwIfCancelled(signal);
    checkTileOutput(result, tile, layout.scale, k, tiles.length);
    blendTile(result.data, tile, layout, output);
    onProgress?.({ tile: k + 1, tiles: tiles.length });
  }
}

function extractTile(source: Float32Array, layout: TileLayout, tile: Tile): Float32Array {
  const { x, y, width, height } = tile.input;
  return cropPlanes(source, layout.width, layout.height, 3, x, y, width, height);
}

function checkTileOutput(result: TilePixels, tile: Tile, scale: number, index: number, count: number): void {
  const expectedWidth = tile.input.width * scale;
  const expectedHeight = tile.input.height * scale;
  if (result.width !== expectedWidth || result.height !== expectedHeight || result.data.length !== 3 * expectedWidth * expectedHeight) {
    throw new PortraitError(
      "INFERENCE_FAILED",
      `The model returned ${result.width}×${result.height} for a ${tile.input.width}×${tile.input.height} tile; expected ${expectedWidth}×${expectedHeight} (scale ${scale}).`,
      {
        tile: index + 1,
        tiles: count,
        scale,
        expectedWidth,
        expectedHeight,
        receivedWidth: result.width,
        receivedHeight: result.height,
        receivedLength: result.data.length,
      },
    );
  }
}

/** Adds the tile's weighted output into the full output (weights of all tiles sum to 1). */
function blendTile(tileOutput: Float32Array, tile: Tile, layout: TileLayout, output: Float32Array): void {
  const tileWidth = tile.input.width * layout.scale;
  const tilePlane = tileWidth * tile.input.height * layout.scale;
  const outWidth = layout.width * layout.scale;
  const outPlane = outWidth * layout.height * layout.scale;
  const { weightsX, weightsY } = tile;
  const w = tile.output.width;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < tile.output.height; y++) {
      const wy = weightsY[y];
      const from = c * tilePlane + (tile.outputOffsetY + y) * tileWidth + tile.outputOffsetX;
      const to = c * outPlane + (tile.output.y + y) * outWidth + tile.output.x;
      for (let x = 0; x < w; x++) output[to + x] += wy * weightsX[x] * tileOutput[from + x];
    }
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PortraitError("CANCELLED");
}

/** Options for {@link upscaleToScale}. */
export interface UpscaleToScaleOptions extends Omit<UpscaleTiledOptions, "scale"> {
  /** The model's native integer scale. */
  readonly nativeScale: number;
  /** The wanted scale, any positive number; the output is round(W·s)×round(H·s). */
  readonly targetScale: number;
}

/**
 * Upscales to any scale: one native pass of the model, then Lanczos-3 to the exact size
 * (×2 from a ×4 model = ×4 then reduce; ×8 = ×4 then enlarge ×2). Running the model twice
 * would compound its artifacts, and resampling tiles separately would make blocks.
 * @example
 * const x2 = await upscaleToScale(image, runTile, { nativeScale: 4, targetScale: 2, maxTile: 256 });
 */
export async function upscaleToScale(image: RgbImage, runTile: TileRunner, options: UpscaleToScaleOptions): Promise<RgbImage> {
  const { nativeScale, targetScale, ...rest } = options;
  if (!(typeof targetScale === "number" && Number.isFinite(targetScale) && targetScale > 0)) {
    throw invalidParameter("a positive number", "scale", targetScale);
  }
  const width = Math.round(image.width * targetScale);
  const height = Math.round(image.height * targetScale);
  if (width < 1 || height < 1) throw invalidParameter("a scale giving at least 1×1 pixels", "scale", targetScale);
  const native = await upscaleTiled(image, runTile, { ...rest, scale: nativeScale });
  if (native.width === width && native.height === height) return native;
  return resampleImage(native, { width, height, filter: "lanczos3" });
}

/**
 * One tiled pass of one runner over planar pixels (any channel count, any integer scale), with
 * the out-of-memory retry around it: the tiled driver's machinery, used once per model or once
 * per stage of a split model.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { cropPlanes } from "../image/crop";
import { createTileLayout } from "./tile-layout";
import type { Tile, TileLayout, TileRect } from "./tile-layout";
import type { TilePixels, TileRunner, UpscaleNotice } from "./tiled-upscale";

/** Decides from a tile's input window whether the model can be skipped for it. */
export type SkipTest = (input: TileRect) => boolean;
/** The output for a skipped tile: its output channels at the pass's scale, from the input window. */
export type Shortcut = (input: TileRect) => Float32Array;

/** What one pass runs over. */
export interface PassSpec {
  /** Planar input, `inputChannels` planes of width×height. */
  readonly source: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly runTile: TileRunner;
  readonly context: number;
  readonly skip?: SkipTest;
  readonly shortcut?: Shortcut;
}

/** The kept tile of a pass: halved after out-of-memory failures, down to `minTile`. */
export interface PassState {
  tile: number;
  readonly minTile: number;
}

/** What a pass needs from the caller besides its spec. */
export interface PassHooks {
  readonly signal?: AbortSignal;
  readonly onNotice?: (notice: UpscaleNotice) => void;
  /** After each tile: tiles done in this pass, and its tile count (both restart after a reduction). */
  readonly onTile?: (done: number, tiles: number) => void;
}

/** Runs one pass to completion, retrying with halved tiles on OUT_OF_MEMORY; returns its output planes. */
export async function runPass(spec: PassSpec, state: PassState, hooks: PassHooks): Promise<Float32Array> {
  const { width, height, scale, context } = spec;
  const output = new Float32Array(spec.outputChannels * width * scale * height * scale);
  for (;;) {
    const layout = createTileLayout({ width, height, tile: state.tile, context, scale });
    try {
      await runLayout(spec, layout, output, hooks);
      return output;
    } catch (error) {
      if (!(error instanceof PortraitError) || error.code !== "OUT_OF_MEMORY") throw error;
      // Halve the kept part; the context stays whole, so the result stays the same.
      const used = Math.min(state.tile, Math.max(...layout.columns.map(coreSize), ...layout.rows.map(coreSize)));
      if (used <= state.minTile) {
        const size = `${layout.tileWidth}×${layout.tileHeight}`;
        throw new PortraitError("OUT_OF_MEMORY", `Ran out of memory even with ${size} px tiles (${used} px kept, ${context} px of context around).`, {
          tileWidth: layout.tileWidth,
          tileHeight: layout.tileHeight,
          minTile: state.minTile,
          advice: "Close other applications, upscale a smaller selection or to a smaller scale, or use the x4fast model.",
          ...(error.data !== undefined ? { cause: error.data } : {}),
        });
      }
      const next = Math.max(state.minTile, Math.floor(used / 2));
      hooks.onNotice?.({
        code: "TILE_REDUCED",
        message: `Ran out of memory with ${used} px tiles; retrying with ${next} px tiles (slower, same result).`,
        data: { from: used, to: next },
      });
      state.tile = next;
      output.fill(0);
    }
  }
}

/** How many tiles a pass over width×height has at a kept tile and context (for progress). */
export function tileCount(width: number, height: number, tile: number, context: number): number {
  return createTileLayout({ width, height, tile, context }).tiles.length;
}

async function runLayout(spec: PassSpec, layout: TileLayout, output: Float32Array, hooks: PassHooks): Promise<void> {
  const { signal, onTile } = hooks;
  const tiles = layout.tiles;
  const skipped = tiles.map((tile) => spec.skip?.(tile.input) === true);
  const nextRun = (from: number) => {
    let k = from;
    while (k < tiles.length && skipped[k]) k++;
    return k;
  };
  const extract = (tile: Tile) => cropPlanes(spec.source, layout.width, layout.height, spec.inputChannels, tile.input);
  // Extract the next tile for the model while the runner works on the current one (it runs in a worker thread).
  let prepared = nextRun(0);
  let preparedData: Float32Array | undefined = prepared < tiles.length ? extract(tiles[prepared]) : undefined;
  for (let k = 0; k < tiles.length; k++) {
    throwIfCancelled(signal);
    const tile = tiles[k];
    if (skipped[k]) {
      blendTile(spec.shortcut!(tile.input), spec.outputChannels, tile, layout, output);
      onTile?.(k + 1, tiles.length);
      continue;
    }
    const data: Float32Array = k === prepared && preparedData !== undefined ? preparedData : extract(tile);
    preparedData = undefined;
    const pixels: TilePixels = { data, width: tile.input.width, height: tile.input.height, ...(spec.inputChannels !== 3 ? { channels: spec.inputChannels } : {}) };
    const pending = spec.runTile(pixels, signal);
    prepared = nextRun(k + 1);
    if (prepared < tiles.length) preparedData = extract(tiles[prepared]);
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
    checkTileOutput(result, spec.outputChannels, tile, layout.scale, k, tiles.length);
    blendTile(result.data, spec.outputChannels, tile, layout, output);
    onTile?.(k + 1, tiles.length);
  }
}

function checkTileOutput(result: TilePixels, channels: number, tile: Tile, scale: number, index: number, count: number): void {
  const expectedWidth = tile.input.width * scale;
  const expectedHeight = tile.input.height * scale;
  if (result.width !== expectedWidth || result.height !== expectedHeight || result.data.length !== channels * expectedWidth * expectedHeight) {
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
function blendTile(tileOutput: Float32Array, channels: number, tile: Tile, layout: TileLayout, output: Float32Array): void {
  const tileWidth = tile.input.width * layout.scale;
  const tilePlane = tileWidth * tile.input.height * layout.scale;
  const outWidth = layout.width * layout.scale;
  const outPlane = outWidth * layout.height * layout.scale;
  const { weightsX, weightsY } = tile;
  const w = tile.output.width;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < tile.output.height; y++) {
      const wy = weightsY[y];
      const from = c * tilePlane + (tile.outputOffsetY + y) * tileWidth + tile.outputOffsetX;
      const to = c * outPlane + (tile.output.y + y) * outWidth + tile.output.x;
      for (let x = 0; x < w; x++) output[to + x] += wy * weightsX[x] * tileOutput[from + x];
    }
  }
}

/** Throws CANCELLED once `signal` has aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PortraitError("CANCELLED");
}

function coreSize(span: { readonly coreStart: number; readonly coreEnd: number }): number {
  return span.coreEnd - span.coreStart;
}

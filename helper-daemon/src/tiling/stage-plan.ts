/**
 * Tiles for the stages of a split model (x4plus: a 1× trunk, then the upsampling tail). When
 * the whole model must be tiled, each stage gets the memory one window of the whole model's
 * tile would have used, and within it its own largest tile (or the whole image): the trunk
 * needs a wide context but little memory per pixel, the tail the reverse, so both tile far
 * less than the whole model does.
 */
import { chooseTile, type TileModelNeeds } from "./tile-size";

/** Options for {@link planStageTiles}. */
export interface StageTileOptions {
  readonly width: number;
  readonly height: number;
  /** The tile (kept part) chosen for the whole model, with its context around it. */
  readonly wholeTile: number;
  readonly whole: TileModelNeeds;
  readonly stages: readonly TileModelNeeds[];
}

/** The bytes one window of the whole model's tile uses: the budget each stage plans within. */
export function wholeWindowBytes(tile: number, whole: TileModelNeeds): number {
  const window = tile + 2 * whole.context;
  return whole.fixedBytes + whole.bytesPerTilePixel * window * window;
}

/**
 * The kept tile of every stage: the whole image when one run of the stage fits the memory of
 * one window of the whole model's tile, else the largest multiple of 64 whose window fits.
 * @example
 * planStageTiles({ width: 2048, height: 2048, wholeTile: 448, whole: x4plus, stages: [trunk, tail] }) // [1024, 640]
 */
export function planStageTiles(options: StageTileOptions): number[] {
  const budget = wholeWindowBytes(options.wholeTile, options.whole);
  return options.stages.map((stage) => chooseTile({ width: options.width, height: options.height, budget, models: [stage] }));
}

/** True when the whole model must be tiled: a window of `tile` plus context does not cover the image. */
export function needsTiling(width: number, height: number, tile: number, context: number): boolean {
  return Math.max(width, height) > tile + 2 * context;
}

/** What a stage contributes to the planes held between stages. */
export interface StageShape {
  readonly scale: number;
  readonly outputChannels: number;
}

/**
 * Bytes of the float planes held between the stages of a split model over a width×height image
 * (x4plus: 64 channels × 4 bytes = 256 bytes per input pixel, 1 GiB at 2048², 6.1 GB at 24 MP).
 */
export function intermediateBytes(width: number, height: number, stages: readonly StageShape[]): number {
  let bytes = 0;
  let scale = 1;
  for (const stage of stages.slice(0, -1)) {
    scale *= stage.scale;
    bytes += stage.outputChannels * 4 * width * scale * height * scale;
  }
  return bytes;
}

/**
 * Whether a split model runs split: only when the whole model must be tiled and the planes
 * held between its stages fit the memory of one window of the whole model's tile (beyond
 * that, e.g. x4plus at 24 MP, the whole model tiles as before and memory stays bounded).
 */
export function runsSplit(width: number, height: number, wholeTile: number, whole: { readonly bytesPerTilePixel: number; readonly fixedBytes: number; readonly context: number }, stages: readonly StageShape[]): boolean {
  return needsTiling(width, height, wholeTile, whole.context) && intermediateBytes(width, height, stages) <= wholeWindowBytes(wholeTile, whole);
}

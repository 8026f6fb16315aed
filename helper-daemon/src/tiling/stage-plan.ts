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

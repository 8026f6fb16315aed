/**
 * Tiling as a value object: which input rectangles go to the model and how their
 * outputs are weighted back together.
 *
 * Along each axis the image is cut into `count = ceil(L / core)` nearly equal core
 * spans; every tile's input window is its core widened by the overlap and shifted
 * inside the image, so all windows share one size (onnxruntime pays for every new
 * input shape). Neighbouring outputs are crossfaded chaiNNer-style: over the middle
 * half of the overlap a half-sine (raised cosine) ramp, while each outer quarter comes
 * only from the tile it is nearer to, so pixels near a window edge (where the model saw
 * padding instead of neighbours) are never used.
 */
import { totalmem } from "node:os";
import { invalidParameter } from "@portrait-upscale/shared";

/** A rectangle in pixels. */
export interface TileRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One tile's span along one axis. */
export interface AxisSpan {
  /** The core (the part this tile owns before blending), input pixels: [coreStart, coreEnd). */
  readonly coreStart: number;
  readonly coreEnd: number;
  /** The window sent to the model, input pixels: [inputStart, inputStart + inputSize). */
  readonly inputStart: number;
  readonly inputSize: number;
  /** Where this tile's output contributes, output pixels: [outputStart, outputStart + weights.length). */
  readonly outputStart: number;
  /** Output weights over that range; multiples of 2^-16 so that neighbours sum to exactly 1. */
  readonly weights: Float32Array;
}

/** One tile: its input window and where (and how strongly) its output is written. */
export interface Tile {
  /** 0-based, row-major. */
  readonly index: number;
  readonly column: number;
  readonly row: number;
  /** Input window, input pixels (what the model sees). */
  readonly input: TileRect;
  /** Where the output contributes, output pixels (the full output image's coordinates). */
  readonly output: TileRect;
  /** Offset of `output` inside the model's output for this tile, output pixels. */
  readonly outputOffsetX: number;
  readonly outputOffsetY: number;
  /** Per-column and per-row output weights (length output.width / output.height); weight = x·y. */
  readonly weightsX: Float32Array;
  readonly weightsY: Float32Array;
}

/** The complete tiling of one image at one scale. */
export interface TileLayout {
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly maxTile: number;
  /** The overlap actually used (may be smaller than asked for tiny tiles). */
  readonly overlap: number;
  /** The size every input window has (the model's input shape for this image). */
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly columns: readonly AxisSpan[];
  readonly rows: readonly AxisSpan[];
  readonly tiles: readonly Tile[];
}

/** Options for {@link createTileLayout}. */
export interface TileLayoutOptions {
  readonly width: number;
  readonly height: number;
  /** Largest window edge sent to the model, input pixels (overlap included). */
  readonly maxTile: number;
  /** Overlap between neighbouring windows, input pixels. Default {@link DEFAULT_OVERLAP}. */
  readonly overlap?: number;
  /** The model's integer scale. Default 1. */
  readonly scale?: number;
}

/**
 * The default overlap between neighbouring tiles, input pixels. chaiNNer uses 16. What a model
 * needs depends on how far it sees (measured against untiled runs, docs/architecture.md):
 * x4fast stays within 2/255 at 32 and esrgan-thick at 16, but x4plus needs 96, so callers
 * pass the model's own overlap (upscale/settings.ts). Interior seams lie half the overlap from
 * each window's edge: that distance, not the crossfade's width, decides the error.
 */
export const DEFAULT_OVERLAP = 32;

const WEIGHT_STEPS = 65536;

/**
 * Lays out tiles for an image.
 * @example
 * const layout = createTileLayout({ width: 1000, height: 600, maxTile: 256, scale: 4 });
 * layout.tiles; // 5 columns × 3 rows, every window the same size, at most 256×256
 */
export function createTileLayout(options: TileLayoutOptions): TileLayout {
  const { width, height, maxTile } = options;
  const overlapAsked = options.overlap ?? DEFAULT_OVERLAP;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(width) || width < 1) throw invalidParameter("a positive integer", "width", width);
  if (!Number.isInteger(height) || height < 1) throw invalidParameter("a positive integer", "height", height);
  if (!Number.isInteger(maxTile) || maxTile < 2) throw invalidParameter("an integer of at least 2", "maxTile", maxTile);
  if (!Number.isInteger(overlapAsked) || overlapAsked < 0) throw invalidParameter("a non-negative integer", "overlap", overlapAsked);
  if (!Number.isInteger(scale) || scale < 1) throw invalidParameter("a positive integer", "scale", scale);
  // A tile must own at least half its window, or the tiles would do mostly repeated work.
  const overlap = Math.min(overlapAsked, Math.floor(maxTile / 2));
  const columns = layoutAxis(width, maxTile, overlap, scale);
  const rows = layoutAxis(height, maxTile, overlap, scale);
  const tiles: Tile[] = [];
  for (let row = 0; row < rows.length; row++) {
    const r = rows[row];
    for (let column = 0; column < columns.length; column++) {
      const c = columns[column];
      tiles.push({
        index: tiles.length,
        column,
        row,
        input: { x: c.inputStart, y: r.inputStart, width: c.inputSize, height: r.inputSize },
        output: { x: c.outputStart, y: r.outputStart, width: c.weights.length, height: r.weights.length },
        outputOffsetX: c.outputStart - c.inputStart * scale,
        outputOffsetY: r.outputStart - r.inputStart * scale,
        weightsX: c.weights,
        weightsY: r.weights,
      });
    }
  }
  return {
    width,
    height,
    scale,
    maxTile,
    overlap,
    tileWidth: columns[0].inputSize,
    tileHeight: rows[0].inputSize,
    columns,
    rows,
    tiles,
  };
}

/** Cuts one axis of `length` input pixels into spans with windows of at most `maxTile`. */
export function layoutAxis(length: number, maxTile: number, overlap: number, scale: number): AxisSpan[] {
  if (length <= maxTile) {
    return [{ coreStart: 0, coreEnd: length, inputStart: 0, inputSize: length, outputStart: 0, weights: new Float32Array(length * scale).fill(1) }];
  }
  const coreLimit = maxTile - overlap;
  const count = Math.ceil(length / coreLimit);
  const bounds: number[] = [];
  for (let i = 0; i <= count; i++) bounds.push(Math.floor((i * length) / count));
  const coreMax = Math.ceil(length / count);
  const window = Math.min(length, coreMax + overlap);
  // The ramp spans the middle half of the overlap; with a 1 px overlap there is no room
  // for it inside both windows, so that boundary is a hard cut.
  const ramp = overlap >= 2 ? overlap / 2 : 0;
  const spans: AxisSpan[] = [];
  for (let i = 0; i < count; i++) {
    const coreStart = bounds[i];
    const coreEnd = bounds[i + 1];
    const centred = Math.round(coreStart - (window - (coreEnd - coreStart)) / 2);
    const inputStart = Math.min(Math.max(centred, 0), length - window);
    // Weight of tile i = R_i − R_{i+1}, where R_k rises from 0 to 1 across boundary k
    // (R_0 ≡ 1, R_count ≡ 0): it telescopes, so weights sum to exactly 1 everywhere.
    const from = inputStart * scale;
    const to = (inputStart + window) * scale;
    const full = new Float32Array(to - from);
    let first = -1;
    let last = -1;
    for (let x = from; x < to; x++) {
      const centre = (x + 0.5) / scale;
      const rising = i === 0 ? 1 : riseAcross(centre, coreStart, ramp);
      const next = i === count - 1 ? 0 : riseAcross(centre, coreEnd, ramp);
      const weight = rising - next;
      full[x - from] = weight;
      if (weight > 0) {
        if (first < 0) first = x - from;
        last = x - from;
      }
    }
    spans.push({
      coreStart,
      coreEnd,
      inputStart,
      inputSize: window,
      outputStart: from + first,
      weights: full.slice(first, last + 1),
    });
  }
  return spans;
}

/** 0 before the ramp, 1 after it, half-sine in between; quantised to 2^-16 so differences stay exact. */
function riseAcross(position: number, boundary: number, ramp: number): number {
  if (ramp <= 0) return position >= boundary ? 1 : 0;
  const t = (position - (boundary - ramp / 2)) / ramp;
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return Math.round((0.5 - 0.5 * Math.cos(Math.PI * t)) * WEIGHT_STEPS) / WEIGHT_STEPS;
}

/** Options for {@link chooseTileSize}. */
export interface ChooseTileSizeOptions {
  /**
   * Bytes the model may use; default a quarter of `os.totalmem()`. Not free memory: that
   * changes from run to run, and the tile size must not, or the same input and settings
   * would give (slightly) different bytes. A real shortage is handled by halving on OOM.
   */
  readonly availableBytes?: number;
  /** Peak bytes the model needs per input pixel of a tile (x4plus ≈ 20 000, x4fast ≈ 2 600 on CPU). */
  readonly modelBytesPerPixel: number;
  /** Bytes needed regardless of tile size (weights, session). Default 0. */
  readonly fixedBytes?: number;
  /** Fraction of the available memory to plan for. Default 0.5 (other jobs, the output image, the OS). */
  readonly budget?: number;
  /** Smallest and largest tile to return. Defaults 32 and 512. */
  readonly minTile?: number;
  readonly maxTile?: number;
  /** A user's explicit choice; wins when given. */
  readonly override?: number;
}

/**
 * Picks a square tile edge (input pixels, a multiple of 8 above the floor) that fits in memory.
 * @example
 * chooseTileSize({ availableBytes: 4e9, modelBytesPerPixel: 20_000 }); // 312
 */
export function chooseTileSize(options: ChooseTileSizeOptions): number {
  const minTile = options.minTile ?? 32;
  const maxTile = options.maxTile ?? 512;
  if (options.override !== undefined) {
    if (!Number.isInteger(options.override) || options.override < minTile) {
      throw invalidParameter(`an integer of at least ${minTile}`, "tile", options.override);
    }
    return options.override;
  }
  if (!(options.modelBytesPerPixel > 0)) throw invalidParameter("a positive number", "modelBytesPerPixel", options.modelBytesPerPixel);
  const available = options.availableBytes ?? totalmem() / 4;
  const usable = available * (options.budget ?? 0.5) - (options.fixedBytes ?? 0);
  const edge = Math.floor(Math.sqrt(Math.max(0, usable) / options.modelBytesPerPixel) / 8) * 8;
  return Math.min(maxTile, Math.max(minTile, edge));
}

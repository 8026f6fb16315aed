/**
 * Tiling as a value object: which input rectangles go to the model and how their
 * outputs are weighted back together.
 *
 * A tile is the part of the image that is kept; the model's context (the real neighbours
 * it needs to give the same output as an untiled run) is always added around it, on every
 * side that has neighbours, whatever the tile size. Along each axis the image is cut into
 * `count = ceil(L / tile)` nearly equal cores; every window is its core widened by the
 * context and shifted inside the image, so all windows of an image share one size
 * (onnxruntime pays for every new input shape). Neighbouring outputs are crossfaded over
 * a quarter of the context around each boundary with a half-sine ramp, so no output pixel
 * used lies closer than seven eighths of the context to a window's edge.
 */
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
  /** Largest kept part of a tile (its core), input pixels. */
  readonly tile: number;
  /** Context added around every core, input pixels (the model's). */
  readonly context: number;
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
  /** Largest kept part of a tile, input pixels; the window adds the context around it. */
  readonly tile: number;
  /** The model's context, input pixels, added on every side. Default {@link DEFAULT_CONTEXT}. */
  readonly context?: number;
  /** The model's integer scale. Default 1. */
  readonly scale?: number;
}

/**
 * Context used when a caller names none, input pixels. Each model's own comes from the
 * manifest (`facts.context`): how far from a window's edge its output still differs from an
 * untiled run by more than 2/255.
 */
export const DEFAULT_CONTEXT = 16;

const WEIGHT_STEPS = 65536;

/**
 * Lays out tiles for an image.
 * @example
 * const layout = createTileLayout({ width: 1000, height: 600, tile: 256, context: 48, scale: 4 });
 * layout.tiles; // 4 columns × 3 rows, every window the same size, 256 + 2·48 at most
 */
export function createTileLayout(options: TileLayoutOptions): TileLayout {
  const { width, height, tile } = options;
  const context = options.context ?? DEFAULT_CONTEXT;
  const scale = options.scale ?? 1;
  if (!Number.isInteger(width) || width < 1) throw invalidParameter("a positive integer", "width", width);
  if (!Number.isInteger(height) || height < 1) throw invalidParameter("a positive integer", "height", height);
  if (!Number.isInteger(tile) || tile < 1) throw invalidParameter("a positive integer", "tile", tile);
  if (!Number.isInteger(context) || context < 0) throw invalidParameter("a non-negative integer", "context", context);
  if (!Number.isInteger(scale) || scale < 1) throw invalidParameter("a positive integer", "scale", scale);
  const columns = layoutAxis(width, tile, context, scale);
  const rows = layoutAxis(height, tile, context, scale);
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
    tile,
    context,
    tileWidth: columns[0].inputSize,
    tileHeight: rows[0].inputSize,
    columns,
    rows,
    tiles,
  };
}

/**
 * Cuts one axis of `length` input pixels into cores of at most `tile`, each with a window of
 * the core plus `context` on both sides (one window of the whole axis when that fits).
 */
export function layoutAxis(length: number, tile: number, context: number, scale: number): AxisSpan[] {
  if (length <= tile + 2 * context) {
    return [{ coreStart: 0, coreEnd: length, inputStart: 0, inputSize: length, outputStart: 0, weights: new Float32Array(length * scale).fill(1) }];
  }
  const count = Math.ceil(length / tile);
  const bounds: number[] = [];
  for (let i = 0; i <= count; i++) bounds.push(Math.floor((i * length) / count));
  const coreMax = Math.ceil(length / count);
  // Two tiles have one seam each: the context on its side is all they need (for x4plus at
  // 2048² the trunk's windows are 1088 instead of 1152 px, 13 % instead of 27 % more work).
  const window = Math.min(length, coreMax + (count === 2 ? 1 : 2) * context);
  // The ramp spans a quarter of the context around each boundary; below 2 px it is a hard cut.
  const ramp = context >= 8 ? context / 4 : 0;
  const spans: AxisSpan[] = [];
  for (let i = 0; i < count; i++) {
    const coreStart = bounds[i];
    const coreEnd = bounds[i + 1];
    const centred = Math.floor(coreStart - (window - (coreEnd - coreStart)) / 2);
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

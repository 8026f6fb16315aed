/**
 * The tiled upscale driver: cuts an image into tiles (tile-layout.ts), hands each
 * tile to an injected runner (the inference worker), and blends the outputs back.
 * Full input and output stay in host memory; only tiles travel. Pure apart from the runner.
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { greyPlaneToRgb } from "../image/image";
import { cropPlanes } from "../image/crop";
import { resampleAlpha, resampleImage, resamplePlanes } from "../image/resample";
import { DEFAULT_CONTEXT } from "./tile-layout";
import type { TileRect } from "./tile-layout";
import { fillTransparentColour } from "./alpha-fill";
import { runPass, throwIfCancelled, tileCount, type PassHooks, type PassSpec, type PassState } from "./tile-pass";
import { planStageTiles, runsSplit } from "./stage-plan";
import type { MemoryNeeds } from "./tile-size";

/** Planar float pixels of one tile: NCHW 1×channels×height×width; RGB values nominally 0..1. */
export interface TilePixels {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  /** 3 (RGB) unless given: a split model's stages pass feature maps (x4plus's trunk gives 64). */
  readonly channels?: number;
}

/**
 * Runs the model on one tile and resolves with its output (exactly scale× the input).
 * The driver never reuses `tile.data` after the call, so the runner may transfer it.
 * Throw PortraitError OUT_OF_MEMORY to make the driver retry with smaller tiles.
 */
export interface TileRunner {
  (tile: TilePixels, signal?: AbortSignal): Promise<TilePixels>;
  /** The model's context (manifest facts), used when the options name none. */
  readonly context?: number;
  /** The model cut in stages (manifest `facts.split`): used instead of it when the image must be tiled. */
  readonly split?: SplitRunner;
}

/** One stage of a split model: its runner and the facts its tiles are sized by. */
export interface TileStage {
  readonly runTile: TileRunner;
  readonly scale: number;
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly context: number;
  readonly memory: MemoryNeeds;
  /**
   * Seconds per input megapixel (manifest `facts.split` stage cost; only ratios matter): progress
   * weighs the stages by it, since x4plus's trunk is 94 % of the time in a few tiles. Without
   * it on every stage, progress counts tiles.
   */
  readonly cost?: number;
}

/** A split model: the whole model's memory facts (to size the stages' tiles) and its stages in order. */
export interface SplitRunner {
  readonly memory: MemoryNeeds;
  readonly stages: readonly TileStage[];
  /** The stages' kept tiles the job planned (tiling/job-tiles.ts): the model then always runs split. Else split only when it must be tiled, each stage sized within one window of the whole model's tile. */
  readonly tiles?: readonly number[];
}

/**
 * Progress after each finished tile: `tile` counts 1..tiles over every pass (colour, then
 * alpha when it goes through a runner). Restarts from 1 after a tile reduction.
 */
export interface TileProgress {
  readonly tile: number;
  readonly tiles: number;
  /**
   * The work done, 0..1: each pass weighted by its predicted cost (a split model's stages by
   * their cost facts and pixels), its tiles alike within it. Equals tile / tiles unless split.
   */
  readonly fraction: number;
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
  /** Largest kept part of a tile, input pixels; the model's context is added around it. */
  readonly maxTile: number;
  /** Context around every tile, input pixels: the runner's `context`, else {@link DEFAULT_CONTEXT}. */
  readonly context?: number;
  /** The smallest tile (kept part) tried after out-of-memory failures. Default 32. */
  readonly minTile?: number;
  /**
   * Enlarges alpha through this runner (same scale) as a grey image instead of Lanczos-3.
   * Measured cleaner: a 48² mask (disc and thin bar) enlarged ×4 against its 4×-resolution
   * truth gives mean error 0.004 and 341 halo pixels through x4fast (0.005 / 302 through
   * x4plus) versus 0.017 / 1700 with Lanczos-3. Only tiles whose alpha is not constant are
   * run, so a cheap model (x4fast) costs little even under x4plus colour.
   */
  readonly alphaRunner?: TileRunner;
  /**
   * The kept tile of each stage when `runTile` is split; by default each stage's largest tile
   * within the memory of one window of `maxTile` (tiling/stage-plan.ts).
   */
  readonly stageTiles?: readonly number[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TileProgress) => void;
  readonly onNotice?: (notice: UpscaleNotice) => void;
}

/** The smallest tile the driver falls back to after out-of-memory failures. */
export const DEFAULT_MIN_TILE = 32;

/**
 * Upscales `image` by the model's native `scale`, tile by tile.
 * Colour goes through `runTile`; the colour of transparent pixels is first filled from
 * their surroundings so edges get no dark fringe, and tiles that are entirely transparent
 * are enlarged with Lanczos instead of the model (their colour is invisible). Alpha (if
 * any) is enlarged with Lanczos-3, or through `options.alphaRunner`; it is clamped to 0..1.
 * @example
 * const big = await upscaleTiled(image, tileRunner(pool, "realesrgan-x4plus"), { scale: 4, maxTile: 256 });
 */
export async function upscaleTiled(image: RgbImage, runTile: TileRunner, options: UpscaleTiledOptions): Promise<RgbImage> {
  const { scale, maxTile, signal } = options;
  const context = options.context ?? runTile.context ?? DEFAULT_CONTEXT;
  const minTile = options.minTile ?? DEFAULT_MIN_TILE;
  if (!Number.isInteger(scale) || scale < 1) throw invalidParameter("a positive integer", "scale", scale);
  if (!Number.isInteger(maxTile) || maxTile < 1) throw invalidParameter("a positive integer", "maxTile", maxTile);
  if (!Number.isInteger(minTile) || minTile < 2) throw invalidParameter("an integer of at least 2", "minTile", minTile);
  if (!Number.isInteger(context) || context < 0) throw invalidParameter("a non-negative integer", "context", context);
  if (image.width < 1 || image.height < 1) throw new PortraitError("INPUT_EMPTY", undefined, { width: image.width, height: image.height });
  throwIfCancelled(signal);

  const { width, height, alpha } = image;
  const outWidth = width * scale;
  const outHeight = height * scale;
  const alphaThroughRunner = alpha !== undefined && options.alphaRunner !== undefined;
  // Planned stage tiles mean the job chose to run the model split (tiling/job-tiles.ts).
  const split = runTile.split !== undefined && (runTile.split.tiles !== undefined || runsSplit(width, height, maxTile, { ...runTile.split.memory, context }, runTile.split.stages)) ? runTile.split : undefined;
  const progress = new PassProgress(options.onProgress);

  const colourSource = alpha === undefined ? image.rgb : fillTransparentColour(image.rgb, alpha, width, height);
  // Windows with nothing visible skip the model: their colour only has to be plausible
  // for later resampling near edges, which Lanczos of the filled colour is.
  const transparent = alpha === undefined ? undefined : (input: TileRect) => planeIsConstant(alpha, width, input, 0);
  const lanczos = (input: TileRect) =>
    resamplePlanes(cropPlanes(colourSource, width, height, 3, input), 3, input.width, input.height, input.width * scale, input.height * scale, "lanczos3");
  const colour = { source: colourSource, width, height, scale, inputChannels: 3, outputChannels: 3, runTile, context, skip: transparent, shortcut: lanczos };
  const alphaContext = options.context ?? options.alphaRunner?.context ?? DEFAULT_CONTEXT;
  const colourState: PassState = { tile: maxTile, minTile };
  let rgb: Float32Array;
  if (split === undefined) {
    const passes = [colour, ...(alphaThroughRunner ? [{ ...colour, context: alphaContext }] : [])];
    progress.plan(passes.map((pass) => tileCount(width, height, maxTile, pass.context)));
    rgb = await runPass(colour, colourState, progress.hooks(0, options));
  } else {
    const tiles = options.stageTiles ?? split.tiles ?? planStageTiles({ width, height, wholeTile: maxTile, whole: { ...split.memory, context }, stages: split.stages.map((stage) => ({ ...stage.memory, context: stage.context })) });
    const counts = split.stages.map((stage, k) => tileCount(width, height, tiles[k], stage.context));
    const weights = stageWeights(width, height, split.stages);
    const alphaWeight = weights?.reduce((sum, weight) => sum + weight, 0);
    if (alphaThroughRunner) progress.plan([...counts, tileCount(width, height, maxTile, alphaContext)], weights && alphaWeight !== undefined ? [...weights, alphaWeight] : undefined);
    else progress.plan(counts, weights);
    rgb = await runStages(colour, split.stages, tiles, minTile, progress, options);
  }
  if (alpha === undefined) return { width: outWidth, height: outHeight, rgb };

  if (!alphaThroughRunner) {
    // Free, smooth and never invents texture; softer than a model (see alphaRunner).
    return { width: outWidth, height: outHeight, rgb, alpha: resampleAlpha(alpha, width, height, outWidth, outHeight, "lanczos3") };
  }
  const grey = greyPlaneToRgb(alpha, width, height).rgb;
  const alphaPass: PassSpec = {
    ...colour,
    source: grey,
    runTile: options.alphaRunner!,
    context: alphaContext,
    // Where coverage is constant (all 0 or all 1) the model has nothing to add.
    skip: (input: TileRect) => planeIsConstant(alpha, width, input),
    shortcut: (input: TileRect) => new Float32Array(3 * input.width * scale * input.height * scale).fill(alpha[input.y * width + input.x]),
  };
  // After a reduction of the (unsplit) colour tile, alpha starts from the reduced one.
  const alphaState: PassState = split === undefined ? colourState : { tile: maxTile, minTile };
  const alphaOut = await runPass(alphaPass, alphaState, progress.hooks(progress.passes - 1, options));
  const plane = outWidth * outHeight;
  const enlarged = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    const a = (alphaOut[i] + alphaOut[plane + i] + alphaOut[2 * plane + i]) / 3;
    enlarged[i] = a < 0 ? 0 : a > 1 ? 1 : a;
  }
  return { width: outWidth, height: outHeight, rgb, alpha: enlarged };
}

/**
 * Runs the stages of a split model one after the other over the whole image, each on its own
 * tiles: the intermediate planes (x4plus: 64 channels at 1×, 256 bytes per input pixel) are held
 * between them. Only the last stage skips transparent tiles (its shortcut makes RGB).
 */
async function runStages(
  colour: PassSpec,
  stages: readonly TileStage[],
  tiles: readonly number[],
  minTile: number,
  progress: PassProgress,
  options: UpscaleTiledOptions,
): Promise<Float32Array> {
  let source = colour.source;
  let size = { width: colour.width, height: colour.height };
  for (const [k, stage] of stages.entries()) {
    const last = k === stages.length - 1;
    const spec: PassSpec = {
      source,
      ...size,
      scale: stage.scale,
      inputChannels: stage.inputChannels,
      outputChannels: stage.outputChannels,
      runTile: stage.runTile,
      context: stage.context,
      ...(last && colour.skip ? { skip: colour.skip, shortcut: colour.shortcut } : {}),
    };
    source = await runPass(spec, { tile: tiles[k], minTile }, progress.hooks(k, options));
    size = { width: size.width * stage.scale, height: size.height * stage.scale };
  }
  return source;
}

/**
 * Each stage's share of the work: its cost per input pixel times the pixels it gets (a stage
 * after a ×4 one sees 16× the source's). Undefined unless every stage has a cost.
 */
export function stageWeights(width: number, height: number, stages: readonly Pick<TileStage, "scale" | "cost">[]): number[] | undefined {
  if (!stages.every((stage) => stage.cost !== undefined && stage.cost > 0)) return undefined;
  let pixels = width * height;
  return stages.map((stage) => {
    const weight = stage.cost! * pixels;
    pixels *= stage.scale * stage.scale;
    return weight;
  });
}

/**
 * Progress over every pass of one upscale: `tile` counts 1..tiles across the passes (planned
 * tile counts; a pass whose tile was reduced reports its new count from there on); `fraction`
 * weighs the passes by `weights` (by their tile counts without).
 */
class PassProgress {
  private counts: number[] = [];
  private weights: readonly number[] | undefined;
  constructor(private readonly onProgress: UpscaleTiledOptions["onProgress"]) {}

  get passes(): number {
    return this.counts.length;
  }

  plan(counts: readonly number[], weights?: readonly number[]): void {
    this.counts = [...counts];
    this.weights = weights;
  }

  private fraction(pass: number, done: number): number {
    const weights = this.weights ?? this.counts;
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const before = weights.slice(0, pass).reduce((sum, weight) => sum + weight, 0);
    return total > 0 ? (before + (weights[pass] * done) / this.counts[pass]) / total : 0;
  }

  hooks(pass: number, options: UpscaleTiledOptions): PassHooks {
    return {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
      onTile: (done, tiles) => {
        this.counts[pass] = tiles;
        const before = this.counts.slice(0, pass).reduce((sum, count) => sum + count, 0);
        const total = this.counts.reduce((sum, count) => sum + count, 0);
        this.onProgress?.({ tile: before + done, tiles: total, fraction: this.fraction(pass, done) });
      },
    };
  }
}

/** True when every value of `plane` inside `rect` equals `value` (or, without `value`, the first one). */
function planeIsConstant(plane: Float32Array, width: number, rect: TileRect, value?: number): boolean {
  const expected = value ?? plane[rect.y * width + rect.x];
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const row = y * width;
    for (let x = rect.x; x < rect.x + rect.width; x++) if (plane[row + x] !== expected) return false;
  }
  return true;
}

export { DEFAULT_CONTEXT };

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

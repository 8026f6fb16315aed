/**
 * Measures a brought model on this machine's provider, so that its tiles, routing and estimate
 * use its own figures instead of the hungriest shipped upscaler's: the context a tile needs
 * (how far a one-pixel change in the input moves the output), the memory per input pixel (peaks
 * at two image sizes, as model-memory measured the shipped models) and the seconds per input
 * megapixel. Time is measured against the calibration's model run alternately in the same
 * pool, so a busy machine slows both alike and the figure lands on the manifest's reference
 * scale, where this machine's calibration then applies. Small images keep it bounded: 6 min
 * and 0.9 GiB for x4plus on a 2-core machine at load average 25.
 */
import { existsSync } from "node:fs";
import { modelFacts, modelPath, variantPath, type FactProvider, type ProviderMeasurement } from "@portrait-upscale/models";
import { median } from "../image/statistics";
import { InferencePool, type InferencePoolOptions } from "../inference/index";
import type { ProbedModel } from "./probe";

/** The model time is compared with: the one the cost calibration times (cheap, and shipped). */
export const REFERENCE_MODEL = "realesrgan-x4fast";
/** The id the measured model runs by in its pool. */
const MEASURED = "brought-model-measure";

/** The largest context measured: a model that reaches further is tiled with this much. */
export const MAX_MEASURED_CONTEXT = 128;
/** Contexts are rounded up to this, as the manifest's are. */
const CONTEXT_STEP = 8;
/** An output pixel counts as moved by the impulse when a channel changes by more than this. */
const MOVED = 1 / 255;
/** The strip the impulse is probed on: long enough for the cap on both sides, a multiple of 16 both ways. */
const STRIP_LONG = 2 * MAX_MEASURED_CONTEXT + 16;
const STRIP_SHORT = 32;
/** The two square sides time is measured at (input pixels). */
const SIZES = [64, 128] as const;
/** The sides memory is measured at, once each, as model-memory measured the shipped models: onnxruntime's arena grows in steps, and a step past 128² shows at 192². */
const MEMORY_SIDES = [64, 128, 192] as const;
/** The side a face-restore model takes; it is never tiled, so one size is all there is. */
const FACE_SIDE = 512;
/** The reference's side against a face-restore model: its time per pixel hardly depends on size, and 512² would double the wait. */
const FACE_REFERENCE_SIDE = 128;
/** Timed runs per size: the median is kept; one when a run is slow (a large model stays bounded). */
const TIMED_RUNS = 3;
const SLOW_RUN_SECONDS = 1;
/** RSS is sampled this often (ms) while a run is in its worker. */
const SAMPLE_MS = 2;

/** Where and how to measure: the pool options `upscale` takes (`--provider`, `--threads`, `--device`). */
export type MeasureOptions = Partial<Pick<InferencePoolOptions, "provider" | "intraOpThreads" | "device">>;

/** A measurement with what was seen on the way, for the table `models add` prints. */
export interface MeasuredModel {
  readonly measurement: ProviderMeasurement;
  /** The impulse reached the edge of the strip: the context is the cap, the model may see further. */
  readonly contextCapped: boolean;
  readonly seconds: number;
}

interface Run {
  readonly data: Float32Array;
  readonly provider: string;
  readonly seconds: number;
  /** Highest RSS seen during the run, bytes. */
  readonly peakRss: number;
}

/**
 * Measures the model at `path` (already probed) on the provider `options` choose.
 * @example const { measurement } = await measureUserModel("studio-x2.onnx", probed, { provider: "cpu" }); measurement.context // 16
 */
export async function measureUserModel(path: string, probed: ProbedModel, options: MeasureOptions = {}): Promise<MeasuredModel> {
  const started = performance.now();
  const reference = existsSync(modelPath(REFERENCE_MODEL)) ? REFERENCE_MODEL : undefined;
  const pool = new InferencePool({
    resolveModelPath: (id) => (id === MEASURED ? path : modelPath(id)),
    resolveVariantPath: (id, provider) => (id === MEASURED ? Promise.resolve(undefined) : variantPath(id, provider)),
    ...options,
  });
  try {
    const run = (width: number, height: number, data = texture(width, height, probed.range)): Promise<Run> => measuredRun(pool, MEASURED, data, width, height);
    const runReference = reference === undefined ? undefined : (side: number): Promise<Run> => measuredRun(pool, reference, texture(side, side, [0, 1]), side, side);
    const face = probed.role === "face-restore";
    const sides = face ? [FACE_SIDE] : SIZES;
    const referenceSides = face ? [FACE_REFERENCE_SIDE] : SIZES;
    // Memory before the reference first runs: memory the reference's session frees could be reused by the measured model and hide part of its peak.
    await run(face ? FACE_SIDE : 16, face ? FACE_SIDE : 16);
    const base = process.memoryUsage.rss();
    const peaks = [];
    for (const side of face ? sides : MEMORY_SIDES) peaks.push({ pixels: side * side, bytes: (await run(side, side)).peakRss - base });
    for (const side of referenceSides) await runReference?.(side);
    const perSize = [];
    for (const [k, side] of sides.entries()) {
      const runs = await alternateRuns(() => run(side, side), runReference && (() => runReference(referenceSides[k])));
      perSize.push({ pixels: side * side, referencePixels: referenceSides[k] ** 2, ...runs });
    }
    const provider = perSize[0].model[0].provider as FactProvider;
    const floor = (3 + 3 * probed.nativeScale ** 2) * Float32Array.BYTES_PER_ELEMENT;
    const memory = provider !== "cpu" ? undefined : memoryFigures(peaks, floor);
    const cost = costFigure(perSize, reference === undefined ? undefined : modelFacts().byId(reference).cost(provider).secondsPerInputMegapixel);
    const reach = face ? { context: 0, capped: false } : await measureContext(pool, MEASURED, probed.nativeScale);
    const sizes = sides.map((side) => `${side}²`).join(" and ");
    const referenceSizes = referenceSides.map((side) => `${side}²`).join(" and ");
    const measurement: ProviderMeasurement = {
      provider,
      at: new Date().toISOString(),
      context: reach.context,
      ...(memory ? { memory } : {}),
      cost: { secondsPerInputMegapixel: cost },
      method:
        `peak RSS of whole-image runs at ${face ? sizes : MEMORY_SIDES.map((side) => `${side}²`).join(", ")}, median time at ${sizes}` +
        (reference
          ? `, time per pixel at the largest against ${reference} (${referenceSizes}) run alternately, scaled by its manifest figure`
          : ", time as the slope, alone (the reference model is not installed)") +
        (face ? "; not tiled, so no context" : `; context from a one-pixel impulse on ${STRIP_LONG}×${STRIP_SHORT} strips (output moved by > 1/255)`) +
        (options.intraOpThreads === undefined ? "" : `; ${options.intraOpThreads} intra-op thread(s)`),
    };
    return { measurement, contextCapped: reach.capped, seconds: (performance.now() - started) / 1000 };
  } finally {
    await pool.close();
  }
}

async function measuredRun(pool: InferencePool, modelId: string, data: Float32Array, width: number, height: number): Promise<Run> {
  let peakRss = process.memoryUsage.rss();
  const highWater = process.resourceUsage().maxRSS;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), SAMPLE_MS);
  const started = performance.now();
  try {
    const result = await pool.run(modelId, [{ data, dims: [1, 3, height, width] }]);
    const seconds = (performance.now() - started) / 1000;
    // Sampling can miss a short peak; the process's high-water mark cannot, when this run raised it.
    const raised = process.resourceUsage().maxRSS;
    peakRss = Math.max(peakRss, process.memoryUsage.rss(), raised > highWater ? raised * 1024 : 0);
    return { data: result.outputs[result.outputNames[0]].data as Float32Array, provider: result.provider, seconds, peakRss };
  } finally {
    clearInterval(sample);
  }
}

/** The measured model's runs and the reference's, alternated: three of each, or one when a run is slow. */
async function alternateRuns(run: () => Promise<Run>, runReference?: () => Promise<Run>): Promise<{ model: Run[]; reference: Run[] }> {
  const model: Run[] = [];
  const reference: Run[] = [];
  do {
    model.push(await run());
    if (runReference) reference.push(await runReference());
  } while (model.length < TIMED_RUNS && model[0].seconds < SLOW_RUN_SECONDS);
  return { model, reference };
}

function medianSeconds(runs: readonly Run[]): number {
  return median(runs.map((run) => run.seconds));
}

/**
 * Seconds per input megapixel. Against a reference: the ratio of the two models' median time
 * per pixel at the largest size, times the reference's manifest figure (measured the same way,
 * per pixel at one size); a ratio of two single sizes survives a busy machine better than a
 * ratio of slopes, which differences two noisy times each. Alone: the slope of the median
 * times between the sizes (the time per pixel at the one size when there is one, or when
 * timing noise makes the slope non-positive).
 */
function costFigure(sizes: readonly { pixels: number; referencePixels: number; model: Run[]; reference: Run[] }[], referenceFigure: number | undefined): number {
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const perMp = (seconds: number, pixels: number): number => Math.max(seconds, 1e-6) / (pixels / 1e6);
  if (referenceFigure !== undefined) return (perMp(medianSeconds(last.model), last.pixels) / perMp(medianSeconds(last.reference), last.referencePixels)) * referenceFigure;
  const megapixels = (last.pixels - first.pixels) / 1e6;
  const slope = megapixels > 0 ? (medianSeconds(last.model) - medianSeconds(first.model)) / megapixels : 0;
  return slope > 0 ? slope : perMp(medianSeconds(last.model), last.pixels);
}

/**
 * Memory figures from the peaks above the base: per pixel, the largest of the slope between
 * the smallest and largest size and each larger size's whole peak over its pixels (the arena
 * grows in steps, so a slope alone can miss one; the smallest size's peak is mostly fixed
 * cost), so the figure errs towards smaller tiles.
 * `floor` is the run's own input and output tensors per pixel: a model needs at least that.
 */
function memoryFigures(sizes: readonly { pixels: number; bytes: number }[], floor: number): { bytesPerTilePixel: number; fixedBytes: number } {
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const slope = sizes.length > 1 ? (last.bytes - first.bytes) / (last.pixels - first.pixels) : 0;
  return { bytesPerTilePixel: Math.round(Math.max(floor, slope, ...sizes.slice(sizes.length > 1 ? 1 : 0).map((size) => size.bytes / size.pixels))), fixedBytes: 0 };
}

/**
 * The context model `modelId` of `pool` needs: how far (input pixels, along either axis) a
 * one-pixel impulse moves its output by more than 1/255, on a horizontal and a vertical strip,
 * rounded up to a multiple of 8; {@link MAX_MEASURED_CONTEXT} (`capped`) when the change
 * reaches a strip's far end or goes beyond it.
 * @example (await measureContext(pool, "brought-model-measure", 2)).context // 16
 */
export async function measureContext(pool: InferencePool, modelId: string, scale: number): Promise<{ context: number; capped: boolean }> {
  let distance = 0;
  let edge = false;
  for (const [width, height] of [
    [STRIP_LONG, STRIP_SHORT],
    [STRIP_SHORT, STRIP_LONG],
  ]) {
    const cx = width >> 1;
    const cy = height >> 1;
    const base = texture(width, height, [0, 1]);
    const struck = base.slice();
    for (let c = 0; c < 3; c++) struck[c * width * height + cy * width + cx] = 1;
    const before = (await measuredRun(pool, modelId, base, width, height)).data;
    const after = (await measuredRun(pool, modelId, struck, width, height)).data;
    const outWidth = width * scale;
    const outPlane = outWidth * height * scale;
    for (let i = 0; i < outPlane; i++) {
      if (!(Math.abs(after[i] - before[i]) > MOVED || Math.abs(after[i + outPlane] - before[i + outPlane]) > MOVED || Math.abs(after[i + 2 * outPlane] - before[i + 2 * outPlane]) > MOVED)) continue;
      const x = Math.floor((i % outWidth) / scale);
      const y = Math.floor(Math.floor(i / outWidth) / scale);
      distance = Math.max(distance, Math.abs(x - cx), Math.abs(y - cy));
      if ((width > height && (x === 0 || x === width - 1)) || (height > width && (y === 0 || y === height - 1))) edge = true;
    }
  }
  const rounded = Math.ceil(distance / CONTEXT_STEP) * CONTEXT_STEP;
  const capped = edge || rounded > MAX_MEASURED_CONTEXT;
  return { context: capped ? MAX_MEASURED_CONTEXT : rounded, capped };
}

/**
 * A deterministic image with structure at every scale (a gradient, ripples and hashed noise) in
 * 0.1..0.8 of `range`: a model behaves on it as on a photograph, and a bright impulse stands out.
 */
function texture(width: number, height: number, range: readonly [number, number]): Float32Array {
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const hash = (((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) >>> 0) % 1000;
        const t = 0.1 + 0.7 * (0.4 * ((x + y) / (width + height)) + 0.3 * (0.5 + 0.5 * Math.sin(x * 0.7 + c) * Math.cos(y * 0.5)) + 0.3 * (hash / 1000));
        data[c * width * height + y * width + x] = range[0] + (range[1] - range[0]) * t;
      }
  return data;
}

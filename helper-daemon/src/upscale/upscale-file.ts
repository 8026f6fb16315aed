/**
 * The upscale service around the in-memory core: decode → upscale → encode, for bytes
 * (the daemon) and files (the command line). A file result is written to a temporary name
 * in the output's folder and renamed at the end, so no partial output ever exists.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { modelFacts } from "@portrait-upscale/models";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import {
  checkOutputSize,
  decodeImage,
  encodeLike,
  type DecodedImage,
  type EncodedFormat,
  type ImageFormat,
  type ImageLimits,
} from "../image/codec";
import type { InferencePool, ProviderName } from "../inference/index";
import type { PortraitNote } from "../portrait/index";
import { rejectEmptyPngHeader } from "./input-checks";
import { upscalePortrait, type PortraitOutcome, type PortraitRunOptions } from "./portrait";
import { ProgressTracker } from "./progress";
import type { UpscaleSettings } from "./settings";
import { upscaleImage } from "./upscale-image";

export interface UpscaleServiceOptions extends PortraitRunOptions {
  readonly limits?: Partial<ImageLimits>;
  /** The result's format; like the input by default. */
  readonly format?: ImageFormat;
  /** The cost model's prediction for the job, seconds: seeds the ETA. */
  readonly predictedSeconds?: number;
}

/** What the portrait pipeline ran with and found, as the CLI's `--json` prints it. */
export interface PortraitSummary {
  readonly preset: string;
  readonly creativity: number;
  readonly resemblance: number;
  readonly denoise: number;
  readonly cleanup: boolean;
  readonly grain: boolean;
  readonly twoPass: boolean;
  /** The model of each branch (the detail branch is null when the fidelity model ran alone). */
  readonly branches: { readonly fidelity: string; readonly detail: string | null };
  /** The face detector models that ran. */
  readonly detectors: readonly string[];
  /** Faces in input pixels. */
  readonly faces: readonly { readonly x: number; readonly y: number; readonly width: number; readonly height: number; readonly score: number }[];
  /** The pipeline's notes with their codes (their messages are in the summary's `notes` too). */
  readonly notes: readonly PortraitNote[];
}

/** What one upscale did: the shape of the CLI's `--json` output and the daemon's result summary. */
export interface UpscaleSummary {
  readonly input: { readonly width: number; readonly height: number; readonly channels: number; readonly bitDepth: number; readonly format: string };
  readonly output: { readonly width: number; readonly height: number; readonly channels: number; readonly bitDepth: number; readonly format: string };
  readonly scale: number;
  readonly model: string;
  readonly models: readonly string[];
  readonly provider: ProviderName;
  readonly tile: number;
  readonly timings: { readonly totalMs: number; readonly inferenceMs: number };
  readonly notes: readonly string[];
  /** Set when the portrait pipeline ran (a preset), absent for a bare model. */
  readonly portrait?: PortraitSummary;
}

export interface UpscaleBytesResult {
  readonly bytes: Uint8Array;
  readonly summary: UpscaleSummary;
  /** The portrait pipeline's faces (and fidelity branch with `keepBranches`), for a review. */
  readonly pipeline?: PortraitOutcome;
}

/**
 * Decodes an image file's bytes, upscales, and encodes like the source (format, bit depth,
 * channels, ICC profile) unless `options.format` says otherwise.
 */
export async function upscaleBytes(
  bytes: Uint8Array,
  pool: InferencePool,
  settings: UpscaleSettings,
  options: UpscaleServiceOptions = {},
): Promise<UpscaleBytesResult> {
  const started = performance.now();
  const tracker = new ProgressTracker(options.onProgress);
  if (options.predictedSeconds !== undefined) tracker.seed(options.predictedSeconds);
  tracker.decode();
  rejectEmptyPngHeader(bytes);
  const decoded = await decodeImage(bytes, options.limits ? { limits: options.limits } : {});
  return upscaleDecoded(decoded, pool, settings, options, tracker, started);
}

/** The same as {@link upscaleBytes} for an already decoded image (e.g. raw pixels from the daemon). */
export async function upscaleDecoded(
  decoded: DecodedImage,
  pool: InferencePool,
  settings: UpscaleSettings,
  options: UpscaleServiceOptions = {},
  tracker: ProgressTracker = new ProgressTracker(options.onProgress),
  started: number = performance.now(),
): Promise<UpscaleBytesResult> {
  const { image } = decoded;
  // Refuse before any work when the result could not be written anyway.
  checkOutputSize(Math.round(image.width * settings.scale), Math.round(image.height * settings.scale), options.limits);
  const result = settings.portrait
    ? await upscalePortrait(image, pool, settings, options, tracker)
    : await upscaleImage(image, pool, settings, options, tracker);
  const pipeline = "portrait" in result ? result.portrait : undefined;
  tracker.encode();
  const format = options.format ?? decoded.format;
  const encoded = await encodeLike(result.image, decoded, { format, ...(options.limits ? { limits: options.limits } : {}) });
  tracker.done();
  const outputBitDepth = format === "jpeg" || format === "webp" ? 8 : decoded.bitDepth;
  const outputChannels = format === "jpeg" ? (decoded.channels >= 3 ? 3 : 1) : decoded.channels;
  return {
    bytes: encoded,
    summary: {
      input: { width: image.width, height: image.height, channels: decoded.channels, bitDepth: decoded.bitDepth, format: decoded.format },
      output: { width: result.image.width, height: result.image.height, channels: outputChannels, bitDepth: outputBitDepth, format },
      scale: settings.scale,
      model: settings.model,
      models: result.models,
      provider: result.provider,
      tile: result.tile,
      timings: { totalMs: Math.round(performance.now() - started), inferenceMs: Math.round(result.inferenceMs) },
      notes: result.notes,
      ...(pipeline ? { portrait: summarizePortrait(pipeline, result.models) } : {}),
    },
    ...(pipeline ? { pipeline } : {}),
  };
}

function summarizePortrait(outcome: PortraitOutcome, models: readonly string[]): PortraitSummary {
  const { settings } = outcome;
  const round = (value: number): number => Math.round(value * 10) / 10;
  return {
    preset: settings.presetId,
    creativity: settings.creativity,
    resemblance: settings.resemblance,
    denoise: settings.denoise,
    cleanup: settings.cleanup,
    grain: settings.grain,
    twoPass: settings.twoPass,
    // The last fidelity model is the final pass's (a clean-up pass runs esrgan-thick-x2 first).
    branches: {
      fidelity: models.filter((id) => modelFacts().roleOf(id) === "fidelity").at(-1) ?? "",
      detail: models.find((id) => modelFacts().roleOf(id) === "detail") ?? null,
    },
    detectors: outcome.detectors,
    faces: outcome.faces.map((face) => ({
      x: round(face.box.x),
      y: round(face.box.y),
      width: round(face.box.width),
      height: round(face.box.height),
      score: Math.round(face.score * 1000) / 1000,
    })),
    notes: outcome.notes,
  };
}

const FORMAT_BY_EXTENSION: Record<string, EncodedFormat> = {
  ".png": "png",
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
  ".tif": "tiff",
  ".tiff": "tiff",
  ".webp": "webp",
};

/** The encoded format an output file name asks for; INVALID_OPTION for other extensions. */
export function formatForPath(path: string): EncodedFormat {
  const format = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (!format) throw invalidParameter("a file name ending in .png, .jpg, .jpeg, .tif, .tiff or .webp", "the output", basename(path));
  return format;
}

export interface UpscaleFileResult extends UpscaleSummary {
  /** Absolute path of the written file. */
  readonly outputPath: string;
  /** The portrait pipeline's faces (and fidelity branch with `keepBranches`), for a review. */
  readonly pipeline?: PortraitOutcome;
}

/**
 * Upscales the image file `inputPath` into `outputPath` (format from its extension). The
 * output is created under a temporary name first, so an unwritable destination fails before
 * any work, and a failure or cancellation leaves no file behind.
 * @example await upscaleFile("in.png", "out.png", pool, parseUpscaleSettings({ model: "x4fast" }));
 */
export async function upscaleFile(
  inputPath: string,
  outputPath: string,
  pool: InferencePool,
  settings: UpscaleSettings,
  options: Omit<UpscaleServiceOptions, "format"> = {},
): Promise<UpscaleFileResult> {
  const started = performance.now();
  const format = formatForPath(outputPath);
  const target = resolve(outputPath);
  let input: Uint8Array;
  try {
    input = await readFile(inputPath);
  } catch (error) {
    // A missing file, a folder or no permission: the INPUT argument itself is wrong.
    throw invalidParameter(`an existing, readable image file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`, "the input", inputPath);
  }
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.partial`);
  let handle;
  try {
    handle = await open(temporary, "wx");
  } catch (error) {
    throw unwritable(target, error);
  }
  try {
    const tracker = new ProgressTracker(options.onProgress);
    if (options.predictedSeconds !== undefined) tracker.seed(options.predictedSeconds);
    tracker.decode();
    rejectEmptyPngHeader(input);
    const decoded = await decodeImage(input, options.limits ? { limits: options.limits } : {});
    const { bytes, summary, pipeline } = await upscaleDecoded(decoded, pool, settings, { ...options, format }, tracker, started);
    // Encoding cannot be interrupted; a Ctrl-C during it still means "no file".
    if (options.signal?.aborted) throw new PortraitError("CANCELLED");
    try {
      await handle.writeFile(bytes);
      await handle.close();
      handle = undefined;
      await rename(temporary, target);
    } catch (error) {
      throw unwritable(target, error);
    }
    return {
      ...summary,
      outputPath: target,
      timings: { ...summary.timings, totalMs: Math.round(performance.now() - started) },
      ...(pipeline ? { pipeline } : {}),
    };
  } finally {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

function unwritable(path: string, error: unknown): PortraitError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PortraitError("OUTPUT_UNWRITABLE", `Cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? reason}.`, { path, reason });
}

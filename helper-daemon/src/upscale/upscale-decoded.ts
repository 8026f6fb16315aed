/**
 * The upscale service's in-memory middle: a decoded image in, encoded bytes and a summary
 * out, through the portrait pipeline or the bare model. `runUpscaleRequest` wraps it.
 */
import { modelFacts } from "@portrait-upscale/models";
import { checkOutputSize, encodeLike, encodePlanLike, encodeSamplesLike, type DecodedImage, type ImageFormat, type ImageLimits } from "../image/codec";
import type { RgbImage } from "../image/image";
import { sampleSink } from "../image/result-sink";
import type { InferencePool, ProviderName } from "../inference/index";
import type { PortraitNote } from "../portrait/index";
import { upscalePortrait, type PortraitOutcome, type PortraitRunOptions } from "./portrait";
import { ProgressTracker } from "./progress";
import type { UpscaleSettings } from "./settings";
import { upscaleImage } from "./upscale-image";

export interface UpscaleServiceOptions extends PortraitRunOptions {
  readonly limits?: Partial<ImageLimits>;
  /** The result's format; like the input by default. */
  readonly format?: ImageFormat;
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
  /**
   * The model of each branch: the detail branch is null when the fidelity model ran alone, the
   * fidelity branch null when Lanczos-3 drew it everywhere (a preview with no face to route to).
   */
  readonly branches: { readonly fidelity: string | null; readonly detail: string | null };
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
  /**
   * The result before encoding, when it was kept as float (a review, a bare model, restored
   * faces): a review need not decode `bytes` again. Otherwise it went straight to its samples.
   */
  readonly image?: RgbImage;
  readonly summary: UpscaleSummary;
  /** The portrait pipeline's faces (and fidelity branch with `keepBranches`), for a review. */
  readonly pipeline?: PortraitOutcome;
}

/**
 * Upscales a decoded image and encodes the result like the source (format, bit depth,
 * channels, ICC profile) unless `options.format` says otherwise. Called by `runUpscaleRequest`.
 */
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
  const outWidth = Math.round(image.width * settings.scale);
  const outHeight = Math.round(image.height * settings.scale);
  checkOutputSize(outWidth, outHeight, options.limits);
  const format = options.format ?? decoded.format;
  const overrides = { format, ...(options.limits ? { limits: options.limits } : {}) };
  const plan = encodePlanLike(decoded, overrides);
  // The portrait path writes its result straight into the encoder's samples (no float copy at
  // the output size); a review compares float images and face restoration edits the float
  // result, so those keep it.
  const sink = settings.portrait && !settings.portrait.faceRestore && !options.keepBranches ? sampleSink(outWidth, outHeight, plan.layout) : undefined;
  const result = settings.portrait
    ? await upscalePortrait(image, pool, settings, { ...options, ...(sink ? { sink } : {}) }, tracker)
    : await upscaleImage(image, pool, settings, options, tracker);
  const pipeline = "portrait" in result ? result.portrait : undefined;
  tracker.encode();
  const encoded = result.image ? await encodeLike(result.image, decoded, overrides) : await encodeSamplesLike(sink!.samples, outWidth, outHeight, plan);
  tracker.done();
  const outputBitDepth = format === "jpeg" || format === "webp" ? 8 : decoded.bitDepth;
  const outputChannels = format === "jpeg" ? (decoded.channels >= 3 ? 3 : 1) : decoded.channels;
  return {
    bytes: encoded,
    ...(result.image ? { image: result.image } : {}),
    summary: {
      input: { width: image.width, height: image.height, channels: decoded.channels, bitDepth: decoded.bitDepth, format: decoded.format },
      output: { width: result.image?.width ?? outWidth, height: result.image?.height ?? outHeight, channels: outputChannels, bitDepth: outputBitDepth, format },
      scale: settings.scale,
      model: settings.model,
      models: result.models,
      provider: result.provider,
      tile: result.tile,
      timings: { totalMs: Math.round(performance.now() - started), inferenceMs: Math.round(result.inferenceMs) },
      notes: decoded.fromCmyk ? [CMYK_NOTE, ...result.notes] : result.notes,
      ...(pipeline ? { portrait: summarizePortrait(pipeline, result.models) } : {}),
    },
    ...(pipeline ? { pipeline } : {}),
  };
}

/** Said whenever a CMYK input was converted, since the result's colours are then not the file's numbers. */
export const CMYK_NOTE = "The input was CMYK: it was converted to sRGB, so the result is an RGB image.";

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
      fidelity: models.filter((id) => modelFacts().roleOf(id) === "fidelity").at(-1) ?? null,
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

/**
 * The real {@link JobRunner}: a job's options resolved through the preset store (the default
 * preset when the job names none), then the upscale service's portrait path (decode → faces →
 * fidelity and detail branches → blend → encode) on the shared inference pool — the same code
 * path as `portrait-upscale upscale --preset`, so a job's pixels equal the command line's.
 */
import { PortraitError, type JobStage } from "@portrait-upscale/shared";
import { decodeRawPixels, decodeImage, type DecodedImage, type ImageLimits } from "../image/codec";
import type { InferencePool } from "../inference/index";
import type { PresetStore } from "../presets/index";
import { reviewJobResult, reviewSettingsOf } from "../review/index";
import { portraitSettings, upscaleDecoded, type UpscaleProgress, type UpscaleSettings, type UpscaleStage } from "../upscale/index";
import type { JobInput, JobNote, JobOptions, JobOutput, JobRunContext, JobRunner } from "../jobs/types";

/**
 * The upscale settings a job runs with: its preset's (the default preset when it names none),
 * with the job's overrides on top. Throws PRESET_UNKNOWN, or PRESET_LOCKED naming the refused
 * fields, so the daemon can refuse a job when it is submitted.
 */
export function settingsForJob(presets: PresetStore, options: JobOptions): UpscaleSettings {
  return portraitSettings(presets, {
    preset: options.preset,
    model: options.model,
    scale: options.scale,
    creativity: options.creativity,
    resemblance: options.resemblance,
    denoise: options.denoise,
    tile: options.tile,
  });
}

/** The protocol's stage for the service's: the branches' model runs are all "upscale". */
const JOB_STAGE: Readonly<Record<UpscaleStage, JobStage>> = {
  decode: "decode",
  faces: "faces",
  cleanup: "upscale",
  fidelity: "upscale",
  detail: "upscale",
  upscale: "upscale",
  blend: "blend",
  encode: "encode",
};

/** Where a job's review starts on its progress bar (the review costs a detector run and scoring, not a model). */
const REVIEW_START = 0.9;

/** Runs jobs through the upscale service on `pool`. */
export function createUpscaleRunner(pool: InferencePool, presets: PresetStore, limits: ImageLimits): JobRunner {
  return {
    async run(input: JobInput, context: JobRunContext): Promise<JobOutput> {
      const started = performance.now();
      const settings = settingsForJob(presets, input.options);
      const review = input.options.review === true;
      // A review runs after the result is encoded; it gets the last part of the bar.
      const upscaleShare = review ? REVIEW_START : 1;
      const onProgress = (progress: UpscaleProgress): void => {
        context.onProgress({
          stage: JOB_STAGE[progress.stage],
          progress: progress.progress * upscaleShare,
          ...(progress.tile !== undefined ? { tile: progress.tile } : {}),
          ...(progress.tiles !== undefined ? { tiles: progress.tiles } : {}),
          ...(progress.etaSeconds !== undefined ? { etaSeconds: progress.etaSeconds } : {}),
        });
      };
      onProgress({ stage: "decode", progress: 0 });
      const decoded: DecodedImage =
        input.image.kind === "raw"
          ? decodeRawPixels(input.image.bytes, input.image, { limits })
          : await decodeImage(input.image.bytes, { limits });
      if (context.signal.aborted) throw new PortraitError("CANCELLED");
      const format = input.format ?? (decoded.format === "raw" ? "raw" : decoded.format);
      const { bytes, summary, pipeline } = await upscaleDecoded(
        decoded,
        pool,
        settings,
        // The review compares against the fidelity branch, so keep it only when one is wanted.
        { signal: context.signal, onProgress, limits, format, keepBranches: review },
        undefined,
        started,
      );
      const output = summary.output;
      const bitDepth = output.bitDepth === 16 ? 16 : 8;
      if (review) context.onProgress({ stage: "review", progress: REVIEW_START });
      const report = review
        ? await reviewJobResult({
            pool,
            source: decoded.image,
            resultBytes: bytes,
            ...(format === "raw" ? { raw: { width: output.width, height: output.height, channels: output.channels as 1 | 2 | 3 | 4, bitDepth } } : {}),
            scale: settings.scale,
            settings: settings.portrait ? reviewSettingsOf(settings.portrait) : { model: settings.model },
            ...(pipeline ? { faces: pipeline.faces } : {}),
            ...(pipeline?.fidelity ? { fidelity: pipeline.fidelity } : {}),
            signal: context.signal,
            decode: { limits },
          })
        : undefined;
      const base = {
        width: output.width,
        height: output.height,
        channels: output.channels,
        bitDepth,
        provider: summary.provider,
        models: summary.models,
        timings: summary.timings,
        notes: jobNotes(summary.notes, summary.portrait?.notes ?? []),
        ...(report ? { review: report.protocolReport, reviewSheet: report.sheet, reviewCrops: report.crops } : {}),
      } as const;
      if (format === "raw") {
        return {
          ...base,
          image: {
            kind: "raw",
            width: output.width,
            height: output.height,
            channels: output.channels as 1 | 2 | 3 | 4,
            bitDepth,
            ...(decoded.colorProfile !== undefined ? { colorProfile: decoded.colorProfile } : {}),
            bytes,
          },
        };
      }
      return { ...base, image: { kind: "encoded", format: format as "png" | "tiff" | "jpeg" | "webp", bytes } };
    },
  };
}

/**
 * The protocol's notes: the portrait pipeline's coded notes, then the service's other notices
 * (a provider fallback, a model's native scale resized) under the generic code NOTICE, since
 * clients show those in the daemon's words anyway.
 */
export function jobNotes(messages: readonly string[], coded: readonly { readonly code: string; readonly message: string }[]): JobNote[] {
  // The protocol caps a note's message at 500 characters.
  const notes: JobNote[] = coded.map(({ code, message }) => ({ code, message: message.slice(0, 500) }));
  const known = new Set(coded.map((note) => note.message));
  for (const message of messages) if (!known.has(message)) notes.push({ code: "NOTICE", message: message.slice(0, 500) });
  return notes.slice(0, 32);
}

/**
 * The real {@link JobRunner}: a job's options resolved through the preset store, then the
 * upscale service (decode → tiled upscale → encode) on the shared inference pool — the same
 * code path as `portrait-upscale upscale`, so a job's pixels equal the command line's.
 */
import { PortraitError, type Overrides } from "@portrait-upscale/shared";
import { decodeRawPixels, decodeImage, type DecodedImage, type ImageLimits } from "../image/codec";
import type { InferencePool } from "../inference/index";
import type { PresetStore } from "../presets/index";
import { reviewJobResult } from "../review/index";
import { parseUpscaleSettings, upscaleDecoded, type UpscaleProgress, type UpscaleSettings } from "../upscale/index";
import type { JobInput, JobOptions, JobOutput, JobRunContext, JobRunner } from "../jobs/types";

/** The upscale settings a job runs with: the preset's, with the job's overrides on top. */
export function settingsForJob(presets: PresetStore, options: JobOptions): UpscaleSettings {
  const overrides: Overrides = {
    ...(options.scale !== undefined ? { scale: options.scale as Overrides["scale"] } : {}),
    ...(options.model !== undefined ? { model: options.model as Overrides["model"] } : {}),
    ...(options.creativity !== undefined ? { creativity: options.creativity } : {}),
    ...(options.resemblance !== undefined ? { resemblance: options.resemblance } : {}),
    ...(options.denoise !== undefined ? { denoise: options.denoise } : {}),
  };
  const job = presets.resolve(options.preset, overrides);
  return parseUpscaleSettings({
    model: options.model ?? job.models.detail ?? job.models.fidelity,
    scale: job.scale,
    ...(options.tile !== undefined ? { tile: options.tile } : {}),
    preset: job.presetId,
    portrait: job as unknown as Record<string, unknown>,
  });
}

/** Runs jobs through the upscale service on `pool`. */
export function createUpscaleRunner(pool: InferencePool, presets: PresetStore, limits: ImageLimits): JobRunner {
  return {
    async run(input: JobInput, context: JobRunContext): Promise<JobOutput> {
      const started = performance.now();
      const settings = settingsForJob(presets, input.options);
      const onProgress = (progress: UpscaleProgress): void => {
        context.onProgress({
          stage: progress.stage,
          progress: progress.progress,
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
      const { bytes, summary } = await upscaleDecoded(decoded, pool, settings, { signal: context.signal, onProgress, limits, format }, undefined, started);
      const output = summary.output;
      const bitDepth = output.bitDepth === 16 ? 16 : 8;
      const review = input.options.review
        ? await reviewJobResult({
            pool,
            source: decoded.image,
            resultBytes: bytes,
            ...(format === "raw" ? { raw: { width: output.width, height: output.height, channels: output.channels as 1 | 2 | 3 | 4, bitDepth } } : {}),
            scale: settings.scale,
            settings: { model: settings.model, ...(settings.preset !== undefined ? { presetId: settings.preset } : {}) },
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
        ...(review ? { review: review.protocolReport, reviewSheet: review.sheet } : {}),
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

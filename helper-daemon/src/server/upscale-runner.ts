/**
 * The real {@link JobRunner}: a job becomes the one `UpscaleRequest` (its options resolved
 * through the preset store, the default preset when it names none) and runs through
 * `runUpscaleRequest`, the same function as `portrait-upscale upscale` and `batch`, so a
 * job's bytes equal the command line's.
 */
import type { JobStage } from "@portrait-upscale/shared";
import type { ImageLimits } from "../image/codec";
import type { InferencePool } from "../inference/index";
import { DevicePools } from "./device-pools";
import type { PresetStore } from "../presets/index";
import { requestSettings, runUpscaleRequest, upscaleRequest, type RequestResult, type UpscaleSettings, type UpscaleStage } from "../upscale/index";
import type { JobInput, JobNote, JobOptions, JobOutput, JobRunContext, JobRunner } from "../jobs/types";

/**
 * The upscale settings a job runs with: its preset's (the default preset when it names none),
 * with the job's overrides on top. Throws PRESET_UNKNOWN, or PRESET_LOCKED naming the refused
 * fields, so the daemon can refuse a job when it is submitted.
 */
export function settingsForJob(presets: PresetStore, options: JobOptions, memoryBudget?: number | null): UpscaleSettings {
  return requestSettings(presets, {
    ...(memoryBudget !== undefined && memoryBudget !== null ? { memoryBudget } : {}),
    preset: options.preset,
    model: options.model,
    scale: options.scale,
    creativity: options.creativity,
    resemblance: options.resemblance,
    denoise: options.denoise,
    faceRestore: options.faceRestore,
    faceRestoreStrength: options.faceRestoreStrength,
    tile: options.tile,
  });
}

/** The protocol's stage for the service's: the branches' model runs are all "upscale". */
export const JOB_STAGE: Readonly<Record<UpscaleStage, JobStage>> = {
  decode: "decode",
  faces: "faces",
  cleanup: "upscale",
  fidelity: "upscale",
  detail: "upscale",
  upscale: "upscale",
  blend: "blend",
  // The protocol counts every model run as "upscale"; face restore is one more.
  restore: "upscale",
  encode: "encode",
  review: "review",
};

/**
 * Runs jobs through the one request path, tiles sized by the config's memory budget: on `pools`'
 * pool for the job's device (its default device's when the job names none), or on one pool.
 */
export function createUpscaleRunner(pools: InferencePool | DevicePools, presets: PresetStore, limits: ImageLimits, memoryBudget?: number | null): JobRunner {
  return {
    async run(input: JobInput, context: JobRunContext): Promise<JobOutput> {
      if (pools instanceof DevicePools) return pools.use(context.device ?? pools.defaultDevice, (pool) => runOn(pool, input, context));
      return runOn(pools, input, context);
    },
  };

  /** One job on one pool. */
  async function runOn(pool: InferencePool, input: JobInput, context: JobRunContext): Promise<JobOutput> {
    const image = input.image;
    const request = upscaleRequest({
      image: image.kind === "raw" ? { kind: "raw", bytes: image.bytes, header: image } : { kind: "encoded", bytes: image.bytes },
      settings: settingsForJob(presets, input.options, memoryBudget),
      review: input.options.review === true,
      limits,
      ...(input.format !== undefined ? { format: input.format } : {}),
    });
    const result = await runUpscaleRequest(request, pool, {
      signal: context.signal,
      ...(context.estimateSeconds !== undefined ? { predictedSeconds: context.estimateSeconds } : {}),
      onProgress: (progress) =>
        context.onProgress({
          stage: JOB_STAGE[progress.stage],
          progress: progress.progress,
          ...(progress.tile !== undefined ? { tile: progress.tile } : {}),
          ...(progress.tiles !== undefined ? { tiles: progress.tiles } : {}),
          ...(progress.etaSeconds !== undefined ? { etaSeconds: progress.etaSeconds } : {}),
          ...(progress.estimateSeconds !== undefined ? { estimateSeconds: progress.estimateSeconds } : {}),
        }),
    });
    return jobOutputOf(result);
  }
}

/** What the job engine needs of a finished request (also rebuilt from a queue worker's answer). */
export type FinishedRequest = Pick<RequestResult, "bytes" | "summary"> & {
  readonly source: { readonly colorProfile?: string };
  readonly review?: Pick<NonNullable<RequestResult["review"]>, "protocolReport" | "sheet" | "crops">;
};

/** A finished request as the job engine keeps it: raw pixels stay raw, files stay encoded. */
export function jobOutputOf(result: FinishedRequest): JobOutput {
  const { bytes, summary, review } = result;
  const output = summary.output;
  const bitDepth = output.bitDepth === 16 ? 16 : 8;
  const base = {
    width: output.width,
    height: output.height,
    channels: output.channels,
    bitDepth,
    provider: summary.provider,
    models: summary.models,
    timings: summary.timings,
    notes: jobNotes(summary.notes, summary.portrait?.notes ?? []),
    ...(review ? { review: review.protocolReport, reviewSheet: review.sheet, reviewCrops: review.crops } : {}),
  } as const;
  if (output.format === "raw") {
    const colorProfile = result.source.colorProfile;
    return {
      ...base,
      image: { kind: "raw", width: output.width, height: output.height, channels: output.channels as 1 | 2 | 3 | 4, bitDepth, ...(colorProfile !== undefined ? { colorProfile } : {}), bytes },
    };
  }
  return { ...base, image: { kind: "encoded", format: output.format as "png" | "tiff" | "jpeg" | "webp", bytes } };
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

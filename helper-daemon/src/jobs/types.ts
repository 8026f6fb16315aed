/**
 * The job engine's vocabulary. A job is transport-neutral: the HTTP and WebSocket servers
 * turn requests into a {@link JobInput}, and a {@link JobRunner} (the upscale service, or a
 * fake in tests) turns it into a {@link JobOutput}.
 */

import type { JobNote, JobResult, JobStage, JobState, JobStatus, PixelLayout, Placement, ResultFormat, ReviewCropImage } from "@portrait-upscale/shared";

export type { JobNote, JobResult, JobStage, JobState, JobStatus, Placement, ResultFormat };

/** Raw pixels as a job carries them (layout in `shared/src/pixel-layout.ts`). */
export interface RawImage extends PixelLayout {
  readonly kind: "raw";
  readonly bytes: Uint8Array;
}

/** An image file (PNG, JPEG, TIFF, WebP) as sent. */
export interface EncodedImage {
  readonly kind: "encoded";
  readonly bytes: Uint8Array;
}

export type JobImage = RawImage | EncodedImage;

/** The job parameters, named like the CLI's options; validated at the edge, resolved by the runner. */
export interface JobOptions {
  readonly preset?: string;
  readonly model?: string;
  readonly scale?: number;
  readonly creativity?: number;
  readonly resemblance?: number;
  readonly denoise?: number;
  /** `user:NAME` (or NAME) restores faces with that brought model; null or "off" restores none. */
  readonly faceRestore?: string | null;
  readonly faceRestoreStrength?: number;
  readonly tile?: number;
  readonly review?: boolean;
  /** The inference device to run on (one the daemon lists); the daemon's default when absent. */
  readonly device?: number;
}

export interface JobInput {
  readonly image: JobImage;
  readonly options: JobOptions;
  /** The result's format; undefined means "like the input" (raw stays raw, files become PNG or TIFF). */
  readonly format?: ResultFormat;
}

export interface JobProgress {
  readonly stage: JobStage;
  /** 0..1 over the whole job. */
  readonly progress: number;
  readonly tile?: number;
  readonly tiles?: number;
  readonly etaSeconds?: number;
  /** The job's prediction refined while it runs (routing decided where models run). */
  readonly estimateSeconds?: number;
}

/** What a finished job produced. `image.kind === "raw"` for raw results, else an encoded file. */
export interface JobOutput {
  readonly image: RawImage | (EncodedImage & { readonly format: Exclude<ResultFormat, "raw"> | "jpeg" | "webp" });
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bitDepth: 8 | 16;
  readonly provider: string;
  readonly models: readonly string[];
  readonly timings: { readonly totalMs: number; readonly inferenceMs: number };
  /** The review report, when the job asked for one. */
  readonly review?: unknown;
  /** The review's contact sheet (PNG bytes), when the job asked for a review. */
  readonly reviewSheet?: Uint8Array;
  /** The review's before/after crops (PNG bytes each), when the job asked for a review. */
  readonly reviewCrops?: readonly ReviewCropImage[];
  /** What the user should know about the result (a small face, no face, a speculative scale). */
  readonly notes?: readonly JobNote[];
}

/** One review crop as the engine keeps it: which face and region, and its PNG. */
export type { ReviewCropImage } from "@portrait-upscale/shared";

export interface JobRunContext {
  readonly signal: AbortSignal;
  /** The prediction made when the job was accepted, seconds, for the runner's ETA to start from. */
  readonly estimateSeconds?: number;
  /** The inference device the job was accepted for (checked against the daemon's list); the runner's default when absent. */
  readonly device?: number;
  onProgress(progress: JobProgress): void;
}

/** Does the work of one job. Must reject with a PortraitError("CANCELLED") soon after `signal` aborts. */
export interface JobRunner {
  run(input: JobInput, context: JobRunContext): Promise<JobOutput>;
}

/** A finished job's result as the engine keeps it: the public summary plus how it is stored. */
export interface JobResultSummary extends JobResult {
  /** "raw", or the encoded file's format. */
  readonly format: string;
  /** Size of the stored result in bytes. */
  readonly bytes: number;
  /** CRC-32 of the stored bytes, 8 hex digits. */
  readonly crc32: string;
}

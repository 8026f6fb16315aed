/**
 * The job engine's vocabulary. A job is transport-neutral: the HTTP and WebSocket servers
 * turn requests into a {@link JobInput}, and a {@link JobRunner} (the upscale service, or a
 * fake in tests) turns it into a {@link JobOutput}.
 */

export type JobState = "queued" | "running" | "done" | "failed" | "cancelled";
export type JobStage = "decode" | "faces" | "upscale" | "blend" | "review" | "encode";

/** Interleaved samples, rows top to bottom, no padding; 16-bit samples little-endian. */
export interface RawImage {
  readonly kind: "raw";
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  /** A colour profile name carried back untouched. */
  readonly colorProfile?: string;
  readonly bytes: Uint8Array;
}

/** An image file (PNG, JPEG, TIFF, WebP) as sent. */
export interface EncodedImage {
  readonly kind: "encoded";
  readonly bytes: Uint8Array;
}

export type JobImage = RawImage | EncodedImage;

export type ResultFormat = "png" | "tiff" | "raw";

/** The job parameters, named like the CLI's options; validated at the edge, resolved by the runner. */
export interface JobOptions {
  readonly preset?: string;
  readonly model?: string;
  readonly scale?: number;
  readonly creativity?: number;
  readonly resemblance?: number;
  readonly denoise?: number;
  readonly tile?: number;
  readonly review?: boolean;
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
}

/** What a finished job produced. `image.kind === "raw"` for raw results, else an encoded file. */
export interface JobOutput {
  readonly image: RawImage | (EncodedImage & { readonly format: Exclude<ResultFormat, "raw"> | "jpeg" | "webp" });
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bitDepth: number;
  readonly provider: string;
  readonly models: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
  /** The review report, when the job asked for one. */
  readonly review?: unknown;
}

export interface JobRunContext {
  readonly signal: AbortSignal;
  onProgress(progress: JobProgress): void;
}

/** Does the work of one job. Must reject with a PortraitError("CANCELLED") soon after `signal` aborts. */
export interface JobRunner {
  run(input: JobInput, context: JobRunContext): Promise<JobOutput>;
}

/** Summary of a finished job's result, as reported in {@link JobStatus}. */
export interface JobResultSummary {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bitDepth: number;
  readonly format: string;
  readonly bytes: number;
  readonly provider: string;
  readonly models: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

/** The public view of a job, identical over HTTP and WebSocket. */
export interface JobStatus {
  readonly id: string;
  readonly state: JobState;
  readonly stage: JobStage | null;
  readonly progress: number;
  readonly tile: number | null;
  readonly tiles: number | null;
  readonly etaSeconds: number | null;
  readonly error: { readonly code: string; readonly message: string; readonly data?: Readonly<Record<string, unknown>> } | null;
  readonly result: JobResultSummary | null;
}

/**
 * One job as the engine keeps it, from submission to expiry, and the public status made from
 * it. The engine (engine.ts) owns the records; everything here is plain data.
 */
import type { JobListener } from "./engine";
import type { StoredResult } from "./stored-result";
import type { JobInput, JobResultSummary, JobStage, JobState, JobStatus, RawImage, ReviewCropImage } from "./types";

export interface Job {
  readonly id: string;
  readonly clientId: string;
  /** The named per-client token that created the job, if one did. */
  readonly holder?: string;
  readonly keep: boolean;
  readonly createdAt: number;
  input: JobInput | undefined;
  state: JobState;
  stage: JobStage | null;
  progress: number;
  tile: number;
  tiles: number;
  etaSeconds: number | null;
  error: JobStatus["error"];
  summary: JobResultSummary | null;
  raw: Omit<RawImage, "bytes" | "kind"> | undefined;
  review: unknown;
  reviewSheet: Uint8Array | undefined;
  reviewCrops: readonly ReviewCropImage[] | undefined;
  /** The raw input's size and placement, to place the result. */
  source: { width: number; height: number; placement?: RawImage["placement"] } | undefined;
  stored: StoredResult | undefined;
  folder: string | undefined;
  controller: AbortController;
  listeners: Set<JobListener>;
  expiry: NodeJS.Timeout | undefined;
  /** Settles when the runner has stopped (or immediately for jobs that never ran). */
  settled: Promise<void>;
}

const FINAL_STATES: ReadonlySet<JobState> = new Set(["done", "failed", "cancelled"]);

/** True for done, failed and cancelled. */
export function isFinal(state: JobState): boolean {
  return FINAL_STATES.has(state);
}

/** A job record in its first state (queued). */
export function newJob(id: string, clientId: string, keep: boolean, input: JobInput | undefined, holder?: string): Job {
  return {
    id,
    clientId,
    ...(holder !== undefined ? { holder } : {}),
    keep,
    createdAt: Date.now(),
    input,
    state: "queued",
    stage: "queued",
    progress: 0,
    tile: 0,
    tiles: 0,
    etaSeconds: null,
    error: null,
    summary: null,
    raw: undefined,
    review: undefined,
    reviewSheet: undefined,
    reviewCrops: undefined,
    source: undefined,
    stored: undefined,
    folder: undefined,
    controller: new AbortController(),
    listeners: new Set(),
    expiry: undefined,
    settled: Promise.resolve(),
  };
}

/** The public status (shared `jobStatusSchema`): the stored format and size stay internal. */
export function statusOf(job: Job): JobStatus {
  const summary = job.state === "done" ? job.summary : null;
  return {
    id: job.id,
    state: job.state,
    stage: job.stage,
    progress: job.progress,
    tile: job.tile,
    tiles: job.tiles,
    etaSeconds: job.etaSeconds,
    error: job.error,
    result: summary
      ? {
          width: summary.width,
          height: summary.height,
          channels: summary.channels,
          bitDepth: summary.bitDepth,
          provider: summary.provider,
          models: [...summary.models],
          timings: { ...summary.timings },
          notes: (summary.notes ?? []).map((note) => ({ ...note })),
        }
      : null,
  };
}

/** The input's placement in a document scaled like the image (whole pixels). */
export function scalePlacement(placement: NonNullable<RawImage["placement"]>, sx: number, sy: number): NonNullable<RawImage["placement"]> {
  return {
    left: Math.round(placement.left * sx),
    top: Math.round(placement.top * sy),
    documentWidth: Math.round(placement.documentWidth * sx),
    documentHeight: Math.round(placement.documentHeight * sy),
  };
}

/**
 * One job as the engine keeps it, from submission to expiry, and the public status made from
 * it. The engine (engine.ts) owns the records; everything here is plain data.
 */
import type { JobListener } from "./engine-types";
import type { StoredResult } from "./stored-result";
import type { JobInput, JobProgress, JobResultSummary, JobStage, JobState, JobStatus, RawImage, ReviewCropImage } from "./types";

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
  /** The latest progress's tile count; undefined when it counted none. */
  tile: number | undefined;
  tiles: number | undefined;
  /** The cost model's prediction made at submission, seconds. */
  estimateSeconds: number | undefined;
  /** The inference device the job runs on, when it named (or was given) one. */
  readonly device: number | undefined;
  /** The latest ETA and when it was set (ms since the epoch): a running job's ETA counts down from there. */
  etaSeconds: number | null;
  etaAt: number;
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
export function newJob(id: string, clientId: string, keep: boolean, input: JobInput | undefined, holder?: string, estimateSeconds?: number, device?: number): Job {
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
    tile: undefined,
    tiles: undefined,
    estimateSeconds,
    device,
    // Queued, the job will take its estimate once it starts.
    etaSeconds: estimateSeconds ?? null,
    etaAt: Date.now(),
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

/** Takes a runner's progress into the record. */
export function applyProgress(job: Job, progress: JobProgress, now: number = Date.now()): void {
  job.stage = progress.stage;
  job.progress = Math.min(1, Math.max(job.progress, progress.progress));
  job.tile = progress.tile;
  job.tiles = progress.tiles;
  if (progress.etaSeconds !== undefined) {
    job.etaSeconds = progress.etaSeconds;
    job.etaAt = now;
  }
  if (progress.estimateSeconds !== undefined) job.estimateSeconds = progress.estimateSeconds;
}

/**
 * The ETA at `now`: a running job's latest ETA less the time since it was set (a long tile
 * sends no progress, yet the time left shrinks); a queued job's stays its estimate.
 */
export function etaAt(job: Job, now: number = Date.now()): number | null {
  if (job.etaSeconds === null || job.state !== "running") return job.etaSeconds;
  return Math.max(0, job.etaSeconds - (now - job.etaAt) / 1000);
}

/** The public status (shared `jobStatusSchema`): the stored format and size stay internal. */
export function statusOf(job: Job, now: number = Date.now()): JobStatus {
  const summary = job.state === "done" ? job.summary : null;
  return {
    id: job.id,
    state: job.state,
    stage: job.stage,
    progress: job.progress,
    ...(job.tile !== undefined && job.tiles !== undefined ? { tile: job.tile, tiles: job.tiles } : {}),
    etaSeconds: etaAt(job, now),
    ...(job.estimateSeconds !== undefined ? { estimateSeconds: job.estimateSeconds } : {}),
    ...(job.device !== undefined ? { device: job.device } : {}),
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

/**
 * Tells the job's listeners its status after an event; a listener that throws is reported
 * through `onError` and the others still hear it.
 */
export function notifyListeners(job: Job, type: "progress" | "state", onError: (message: string, error: unknown) => void): void {
  if (job.listeners.size === 0) return;
  const event = { type, status: statusOf(job) } as const;
  for (const listener of [...job.listeners]) {
    try {
      listener(event);
    } catch (error) {
      onError("job listener failed", error);
    }
  }
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

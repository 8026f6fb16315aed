/**
 * What the job engine's users see of it: its options, the options of one submission, the
 * events listeners hear, and the handle on a finished job's result.
 */
import type { Logger } from "../config/log";
import type { JobResultSummary, JobRunner, JobStatus, RawImage } from "./types";

export interface JobEngineOptions {
  readonly runner: JobRunner;
  /** Jobs that run at once on each inference device (jobs on different devices run side by side). */
  readonly concurrency: number;
  /** Queued plus running jobs one client may have. */
  readonly maxJobsPerClient: number;
  /** How long a finished job (and its result) stays, in milliseconds. */
  readonly retentionMs: number;
  /** Results at least this large are written to the job's temporary folder. */
  readonly spillBytes: number;
  /** A folder owned by this engine; job folders are made inside it. */
  readonly tempDir: string;
  readonly logger?: Logger;
  /** Told the ids of every queued or running job whenever that set changes (the supervisor keeps it). */
  readonly onActiveJobs?: (ids: readonly string[]) => void;
  /**
   * A running job's listeners hear its status at least this often (ms; 0 never), so the ETA
   * keeps counting down through a long tile that reports nothing. 1000 by default.
   */
  readonly progressTickMs?: number;
}

export interface SubmitOptions {
  /** Keep the job running and its result available after the client disconnects. */
  readonly keep?: boolean;
  /** The named per-client token that created the job: connections with another named token do not see it. */
  readonly holder?: string;
  /** The cost model's prediction for the job, seconds: its status carries it, and its ETA starts from it. */
  readonly estimateSeconds?: number;
  /** The inference device to run on, already checked against the daemon's list; jobs without one share device "default". */
  readonly device?: number;
}

/** Everything a listener hears about one job. `status` is the job's state after the event. */
export type JobEvent =
  | { readonly type: "progress"; readonly status: JobStatus }
  | { readonly type: "state"; readonly status: JobStatus };

export type JobListener = (event: JobEvent) => void;

/** How to read a finished job's result, wherever it is stored. */
export interface JobResult {
  readonly summary: JobResultSummary;
  /** Present for raw results: the layout of the bytes (with the input's placement, scaled). */
  readonly raw?: Omit<RawImage, "bytes" | "kind">;
  readonly size: number;
  /** Reads `length` bytes from `offset` (fewer at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * The job engine: one queue for every client, served round-robin by client so one panel
 * submitting twenty jobs cannot starve another; a fixed number of jobs run at once on each
 * inference device (one by default), and jobs on different devices run side by side. Finished results are kept for a while so a client
 * that reconnects can fetch them, then dropped with their temporary folder.
 */
import { randomBytes } from "node:crypto";
import { PortraitError, toErrorPayload } from "@portrait-upscale/shared";
import type { Logger } from "../config/log";
import { SILENT_LOGGER } from "../config/log";
import type { JobEngineOptions, JobEvent, JobListener, JobResult, SubmitOptions } from "./engine-types";
import { FairQueue } from "./fair-queue";
import { donePart, recordOutput, releaseOutput, removeFolder, resultOf } from "./job-output";
import { applyProgress, isFinal, newJob, notifyListeners, statusOf, type Job } from "./job-record";
import { crc32Hex } from "./stored-result";
import type { JobInput, JobProgress, JobState, JobStatus, ReviewCropImage } from "./types";

export { crc32Hex, isFinal };
export type { JobEngineOptions, JobEvent, JobListener, JobResult, SubmitOptions };

export class JobEngine {
  readonly #options: JobEngineOptions;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, Job>();
  /** Queued jobs, served one client at a time in turn. */
  readonly #queue = new FairQueue<Job>();
  readonly #running = new Set<Job>();
  #closed = false;

  constructor(options: JobEngineOptions) {
    this.#options = options;
    this.#logger = options.logger ?? SILENT_LOGGER;
  }

  /**
   * Queues a job for `clientId`; throws TOO_MANY_JOBS past the per-client limit. Without
   * `input` the job waits (counted, not queued) until {@link provideInput} — the WebSocket
   * hands out the job id before the image's chunks arrive.
   */
  submit(clientId: string, input: JobInput | undefined, options: SubmitOptions = {}): JobStatus {
    if (this.#closed) throw new PortraitError("CANCELLED", "The daemon is shutting down.");
    const active = [...this.#jobs.values()].filter((job) => job.clientId === clientId && !isFinal(job.state)).length;
    if (active >= this.#options.maxJobsPerClient) {
      throw new PortraitError("TOO_MANY_JOBS", undefined, { limit: this.#options.maxJobsPerClient });
    }
    const job = newJob(`j_${randomBytes(12).toString("base64url")}`, clientId, options.keep === true, input, options.holder, options.estimateSeconds, options.device);
    this.#jobs.set(job.id, job);
    if (input) this.#enqueue(job);
    this.#reportActive();
    return statusOf(job);
  }

  /**
   * Makes jobs that a previous daemon process was running when it died known again, as
   * failed with `error`, so that clients asking after them learn what happened.
   */
  recordLost(ids: readonly string[], error: PortraitError): void {
    for (const id of ids) {
      if (this.#jobs.has(id)) continue;
      const job = newJob(id, "lost", true, undefined);
      job.error = error.toPayload();
      this.#jobs.set(id, job);
      this.#finish(job, "failed");
    }
  }

  #reportActive(): void {
    if (!this.#options.onActiveJobs) return;
    this.#options.onActiveJobs([...this.#jobs.values()].filter((job) => !isFinal(job.state)).map((job) => job.id));
  }

  /** Gives a job submitted without input its input, and queues it. */
  provideInput(id: string, input: JobInput): void {
    const job = this.#require(id);
    if (job.state !== "queued" || job.input !== undefined || this.#isQueued(job)) return;
    job.input = input;
    this.#enqueue(job);
  }

  /** Ends a job that cannot go on (e.g. its upload arrived damaged) with `error`. */
  fail(id: string, error: unknown): void {
    const job = this.#jobs.get(id);
    if (!job || isFinal(job.state)) return;
    if (job.state === "queued") this.#unqueue(job);
    job.controller.abort(error);
    job.input = undefined;
    job.error = toErrorPayload(error);
    this.#finish(job, "failed");
  }

  /** The client a job belongs to, the named token that created it, and whether it asked to be kept. */
  owner(id: string): { clientId: string; keep: boolean; holder: string | undefined } {
    const job = this.#require(id);
    return { clientId: job.clientId, keep: job.keep, holder: job.holder };
  }

  #enqueue(job: Job): void {
    const image = job.input?.image;
    if (image?.kind === "raw") job.source = { width: image.width, height: image.height, ...(image.placement ? { placement: image.placement } : {}) };
    this.#queue.push(job.clientId, job);
    this.#logger.info("job queued", { id: job.id, client: job.clientId });
    queueMicrotask(() => this.#pump());
  }

  #isQueued(job: Job): boolean {
    return this.#queue.has(job.clientId, job);
  }

  /** The job's status; throws JOB_UNKNOWN for unknown or expired ids. */
  status(id: string): JobStatus {
    return statusOf(this.#require(id));
  }

  /** True when a job with that id exists (running, queued or retained). */
  has(id: string): boolean {
    return this.#jobs.has(id);
  }

  /** Cancels a queued or running job (a final job is left as it is); returns its status. */
  cancel(id: string): JobStatus {
    const job = this.#require(id);
    this.#cancel(job, "cancelled by the client");
    return statusOf(job);
  }

  /** Listens to a job's events until the returned function is called. Final jobs send nothing more. */
  subscribe(id: string, listener: JobListener): () => void {
    const job = this.#require(id);
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** The result of a done job; JOB_NOT_FINISHED before, the job's own error after a failure. */
  result(id: string): JobResult {
    return resultOf(this.#require(id));
  }

  /** The review report of a done job, or undefined when it did not ask for one. */
  review(id: string): unknown {
    return donePart(this.#require(id), "review");
  }

  /** The review's contact sheet (PNG) of a done job, or undefined when it has none. */
  reviewSheet(id: string): Uint8Array | undefined {
    return donePart(this.#require(id), "reviewSheet");
  }

  /** The review's before/after crops of a done job, or undefined when it has none. */
  reviewCrops(id: string): readonly ReviewCropImage[] | undefined {
    return donePart(this.#require(id), "reviewCrops");
  }

  /** Forgets a final job now (its result was fetched); running or queued jobs are cancelled first. */
  async release(id: string): Promise<void> {
    const job = this.#jobs.get(id);
    if (!job) return;
    this.#cancel(job, "released");
    await job.settled;
    await this.#drop(job);
  }

  /** A client went away: cancel its jobs, except those it asked to keep. */
  clientGone(clientId: string): void {
    for (const job of this.#jobs.values()) {
      if (job.clientId !== clientId || isFinal(job.state)) continue;
      // A job still waiting for its upload cannot go on without the client, kept or not.
      const uploading = job.state === "queued" && job.input === undefined;
      if (!job.keep || uploading) this.#cancel(job, "the client disconnected");
    }
  }

  /** Counts for health checks and tests. */
  stats(): { queued: number; running: number; retained: number } {
    let queued = 0;
    let retained = 0;
    for (const job of this.#jobs.values()) {
      if (job.state === "queued") queued += 1;
      else if (isFinal(job.state)) retained += 1;
    }
    return { queued, running: this.#running.size, retained };
  }

  /** Cancels everything, waits for running jobs to stop, and removes every job folder. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) this.#cancel(job, "the daemon is shutting down");
    await Promise.all(jobs.map((job) => job.settled));
    await Promise.all(jobs.map((job) => this.#drop(job)));
  }

  #require(id: string): Job {
    const job = this.#jobs.get(id);
    if (!job) throw new PortraitError("JOB_UNKNOWN", undefined, { id });
    return job;
  }

  #cancel(job: Job, reason: string): void {
    if (isFinal(job.state)) return;
    const wasQueued = job.state === "queued";
    if (wasQueued) this.#unqueue(job);
    job.controller.abort(new PortraitError("CANCELLED", undefined, { reason }));
    job.input = undefined;
    job.error = new PortraitError("CANCELLED", undefined, { reason }).toPayload();
    this.#finish(job, "cancelled");
    this.#logger.info("job cancelled", { id: job.id, reason });
  }

  #unqueue(job: Job): void {
    this.#queue.remove(job.clientId, job);
  }

  /** Starts queued jobs while their device has a free slot, taking one job per client in turn. */
  #pump(): void {
    while (!this.#closed && !this.#queue.empty) {
      const job = this.#queue.take((candidate) => this.#runningOn(candidate.device) < this.#options.concurrency);
      if (!job) return;
      this.#start(job);
    }
  }

  #runningOn(device: number | undefined): number {
    let count = 0;
    for (const job of this.#running) if (job.device === device) count += 1;
    return count;
  }

  #start(job: Job): void {
    const input = job.input as JobInput;
    job.state = "running";
    job.stage = "decode";
    const startedAt = Date.now();
    // The estimate counts down from the start, not from submission.
    job.etaAt = startedAt;
    this.#running.add(job);
    this.#emit(job, "state");
    this.#logger.info("job started", { id: job.id, ...(job.device !== undefined ? { device: job.device } : {}) });
    const tickMs = this.#options.progressTickMs ?? 1000;
    const ticker = tickMs > 0 ? setInterval(() => this.#emit(job, "progress"), tickMs).unref() : undefined;
    job.settled = (async () => {
      try {
        const output = await this.#options.runner.run(input, {
          signal: job.controller.signal,
          ...(job.estimateSeconds !== undefined ? { estimateSeconds: job.estimateSeconds } : {}),
          ...(job.device !== undefined ? { device: job.device } : {}),
          onProgress: (progress) => this.#progress(job, progress),
        });
        job.input = undefined;
        if (job.controller.signal.aborted) return;
        await recordOutput(job, output, this.#options);
        if (job.controller.signal.aborted) {
          await removeFolder(job);
          return;
        }
        job.progress = 1;
        job.etaSeconds = 0;
        this.#finish(job, "done");
        this.#logger.info("job done", { id: job.id, ms: Date.now() - startedAt });
      } catch (error) {
        job.input = undefined;
        if (isFinal(job.state)) return;
        job.error = toErrorPayload(error);
        if (job.error.code === "CANCELLED") this.#finish(job, "cancelled");
        else {
          this.#finish(job, "failed");
          this.#logger.warn("job failed", { id: job.id, code: job.error.code, message: job.error.message });
        }
      } finally {
        clearInterval(ticker);
        this.#running.delete(job);
        this.#pump();
      }
    })();
  }

  #progress(job: Job, progress: JobProgress): void {
    if (job.state !== "running") return;
    applyProgress(job, progress);
    this.#emit(job, "progress");
  }

  #finish(job: Job, state: JobState): void {
    job.state = state;
    this.#emit(job, "state");
    job.listeners.clear();
    this.#reportActive();
    // setTimeout fires at once for delays past 2^31 - 1 ms (~24.8 days); cap rather than lose results.
    const retention = Math.min(this.#options.retentionMs, 2 ** 31 - 1);
    job.expiry = setTimeout(() => {
      void job.settled.then(() => this.#drop(job));
    }, retention);
    job.expiry.unref();
  }

  async #drop(job: Job): Promise<void> {
    if (job.expiry) clearTimeout(job.expiry);
    // The id stays known until its files are gone, so "unknown" implies "cleaned up".
    await releaseOutput(job);
    if (this.#jobs.get(job.id) === job) this.#jobs.delete(job.id);
  }

  #emit(job: Job, type: JobEvent["type"]): void {
    notifyListeners(job, type, (message, error) => this.#logger.error(message, { id: job.id, message: (error as Error).message }));
  }
}

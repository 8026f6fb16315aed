/**
 * A batch's side of the queue: every input becomes one BullMQ job (paths on the shared
 * folder), its progress comes back through QueueEvents, and its end becomes the same batch
 * entry a local run makes. Waiting through a Redis outage is the connection's job.
 */
import { Queue, QueueEvents, type Job } from "bullmq";
import { PortraitError, type ErrorPayload } from "@portrait-upscale/shared";
import type { BatchItem } from "../batch/inputs";
import type { BatchEntry } from "../batch/process-file";
import type { BatchExecutor } from "../batch/run-batch";
import type { RecipeFlags } from "../cli/request-options";
import { settingsHash, type UpscaleProgress, type UpscaleRequest, type UpscaleSettings } from "../upscale/index";
import { QUEUE_NAME, connectRedis, parseQueueUrl } from "./connection";
import { queueJobId, type QueueJobData } from "./job-data";

export interface QueueExecutorOptions {
  readonly flags: RecipeFlags;
  readonly settings: UpscaleSettings;
  readonly request: Omit<UpscaleRequest, "image">;
  readonly outDir: string;
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
}

/** Retries of a job whose worker failed for a reason that may pass (not a bad input). */
const ATTEMPTS = 3;

/** The error a failed job carries: our payload when a worker refused or the input was bad. */
function payloadOf(reason: string): ErrorPayload {
  try {
    const parsed = JSON.parse(reason) as ErrorPayload;
    if (typeof parsed.code === "string" && typeof parsed.message === "string") return parsed;
  } catch {
    // A failure of BullMQ itself (stalled too often) or of the worker's process.
  }
  return { code: "INTERNAL", message: reason };
}

/** `promise`, or CANCELLED as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new PortraitError("CANCELLED"));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Connects to the queue at `url` and returns the executor that runs batch items on its workers.
 * Throws INVALID_OPTION for a URL that is not Redis.
 */
export async function queueExecutor(url: string, options: QueueExecutorOptions): Promise<{ execute: BatchExecutor; close: () => Promise<void> }> {
  const queueUrl = parseQueueUrl(url);
  const connection = connectRedis(queueUrl, { log: options.log });
  const eventsConnection = connectRedis(queueUrl, { log: () => undefined });
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
  const progressOf = new Map<string, (progress: UpscaleProgress) => void>();
  events.on("progress", ({ jobId, data }) => {
    const progress = data as { stage?: UpscaleProgress["stage"]; progress?: number };
    if (typeof progress?.progress === "number") progressOf.get(jobId)?.({ stage: progress.stage ?? "upscale", progress: progress.progress });
  });
  queue.on("error", () => undefined);
  events.on("error", () => undefined);
  await events.waitUntilReady();
  const hash = settingsHash(options.settings, options.request.format);
  const jobs = new Set<Job>();

  const execute: BatchExecutor = async (item: BatchItem, onProgress) => {
    const data: QueueJobData = {
      version: 1,
      input: item.input,
      output: item.output,
      relative: item.relative,
      outDir: options.outDir,
      recipe: options.flags,
      settingsHash: hash,
      ...(options.request.format ? { format: options.request.format as QueueJobData["format"] } : {}),
      review: options.request.review,
    };
    const jobId = queueJobId(data);
    // A finished job from an earlier batch would answer at once: run it anew (this batch
    // only sends outputs that are missing, or all with --overwrite).
    const earlier = await queue.getJob(jobId);
    if (earlier && ((await earlier.isCompleted()) || (await earlier.isFailed()))) await earlier.remove();
    progressOf.set(jobId, onProgress);
    const started = performance.now();
    const job = await queue.add("upscale", data, {
      jobId,
      attempts: ATTEMPTS,
      backoff: { type: "exponential", delay: 1000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 24 * 3600 },
    });
    jobs.add(job);
    try {
      const entry = (await untilAborted(job.waitUntilFinished(events), options.signal)) as BatchEntry;
      return { ...entry, input: item.input, output: item.output };
    } catch (error) {
      if (options.signal?.aborted) throw new PortraitError("CANCELLED");
      if (error instanceof PortraitError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      return { input: item.input, output: item.output, status: "failed", timeMs: Math.round(performance.now() - started), error: payloadOf(reason) };
    } finally {
      progressOf.delete(jobId);
      jobs.delete(job);
    }
  };

  const onAbort = (): void => {
    // Jobs not yet taken are withdrawn; a job in flight finishes on its worker, its output
    // appearing whole or not at all.
    for (const job of jobs) void job.remove().catch(() => undefined);
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    execute,
    async close() {
      options.signal?.removeEventListener("abort", onAbort);
      await events.close();
      await queue.close();
      connection.disconnect();
      eventsConnection.disconnect();
    },
  };
}

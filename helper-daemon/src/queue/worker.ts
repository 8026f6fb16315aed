/**
 * A queue worker: takes batch jobs from BullMQ on Redis and runs each through the same
 * `processFile` as a local batch, with warm inference sessions (one pool for its life).
 * Delivery is at least once (a killed worker's job is retried elsewhere once its lock lapses),
 * so every job is idempotent: the output appears by rename only, and an output already made
 * with the same recipe is not made again.
 */
import { stat } from "node:fs/promises";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { PortraitError, toErrorPayload } from "@portrait-upscale/shared";
import { processFile, type BatchEntry } from "../batch/process-file";
import type { ImageLimits } from "../image/codec";
import type { InferencePool } from "../inference/index";
import { sampleProgress } from "../jobs/progress-sampler";
import { requestSettings, runUpscaleRequest, settingsHash, upscaleRequest, type PresetResolver, type UpscaleProgress } from "../upscale/index";
import { QUEUE_NAME } from "./connection";
import { deviceQueueName } from "./devices";
import { inlineResultOf, requestImageOf, type InlineJobData, type InlineJobResult } from "./inline";
import { parseQueueJobData, queueJobId, type QueueJobData } from "./job-data";

/** How long a finished output's record is kept in Redis for retries to find. */
const DONE_TTL_SECONDS = 7 * 24 * 3600;
/** Within a stage, at most one progress update per this many ms per job: each is a Redis write and an event. */
const PROGRESS_INTERVAL_MS = 250;

export interface QueueWorkerOptions {
  readonly connection: Redis;
  readonly pool: InferencePool;
  /** The device `pool` runs on; recorded in each batch entry. */
  readonly device: number;
  readonly presets: PresetResolver;
  readonly limits: ImageLimits;
  /** Jobs run at once on this machine (per device). */
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal: a killed worker's job is retried after it. */
  readonly lockMs: number;
  /** A name for this machine in the batch report. */
  readonly name: string;
  readonly log: (line: string) => void;
}

/** The Redis key recording that a job's output is complete. */
function doneKey(jobId: string): string {
  return `${QUEUE_NAME}:done:${jobId}`;
}

async function exists(path: string, kind: "file" | "folder"): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && (kind === "file" ? info.isFile() : info.isDirectory());
}

/** Refuses a job this machine cannot run as asked: another recipe, or paths it cannot see. */
async function checkJob(data: QueueJobData, options: QueueWorkerOptions): Promise<ReturnType<typeof requestSettings>> {
  const settings = requestSettings(options.presets, { ...data.recipe, allowBareModel: true });
  checkRecipe(settingsHash(settings, data.format), data.settingsHash, data.recipe.preset, options);
  if (!(await exists(data.input, "file"))) throw new PortraitError("SHARED_PATH_MISSING", `${options.name} cannot see the input ${data.input}.`, { path: data.input, worker: options.name });
  if (!(await exists(data.outDir, "folder"))) throw new PortraitError("SHARED_PATH_MISSING", `${options.name} cannot see the output folder ${data.outDir}.`, { path: data.outDir, worker: options.name });
  return settings;
}

/** Progress for `job`: every stage change at once, the percent within a stage a few times a second. */
function progressReporter(job: Job): (progress: UpscaleProgress) => void {
  return sampleProgress((progress) => void job.updateProgress({ stage: progress.stage, progress: progress.progress }).catch(() => undefined), PROGRESS_INTERVAL_MS);
}

/** Throws PRESET_MISMATCH unless `settings` hash like the sender's. */
function checkRecipe(hash: string, expected: string, preset: string | undefined, options: QueueWorkerOptions): void {
  if (hash === expected) return;
  throw new PortraitError("PRESET_MISMATCH", `The job's recipe (${preset ?? "default preset"}) resolves to other values on ${options.name}.`, {
    preset: preset ?? null,
    expected,
    actual: hash,
    worker: options.name,
  });
}

/** A daemon's job (`serve --queue`): the image and the result travel inside the job. */
async function runInlineJob(job: Job, options: QueueWorkerOptions): Promise<InlineJobResult> {
  const data = job.data as InlineJobData;
  if (data?.version !== 1 || typeof data.settingsHash !== "string" || typeof data.review !== "boolean") throw new PortraitError("INVALID_OPTION", "The job's data is not an inline upscale job.");
  const settings = requestSettings(options.presets, { ...data.options });
  checkRecipe(settingsHash(settings, data.format), data.settingsHash, data.options.preset, options);
  const request = upscaleRequest({
    image: requestImageOf(data),
    settings,
    review: data.review,
    limits: options.limits,
    ...(data.format !== undefined ? { format: data.format } : {}),
  });
  return inlineResultOf(await runUpscaleRequest(request, options.pool, { onProgress: progressReporter(job) }));
}

/** Runs a job of either kind; our own refusals and bad inputs fail for good, with their code. */
async function runAnyJob(job: Job, options: QueueWorkerOptions): Promise<BatchEntry | InlineJobResult> {
  if (job.name !== "inline") return runJob(job, options);
  try {
    return await runInlineJob(job, options);
  } catch (error) {
    // Retrying cannot fix a refused recipe or a bad image; anything else (a lost Redis
    // command, an inference crash) is retried with backoff.
    if (error instanceof PortraitError) throw new UnrecoverableError(JSON.stringify(toErrorPayload(error)));
    throw error;
  }
}

/** Runs one batch job; a bad input or a refused job fails for good (retrying cannot help), with its code. */
async function runJob(job: Job, options: QueueWorkerOptions): Promise<BatchEntry> {
  let data: QueueJobData;
  try {
    data = parseQueueJobData(job.data);
    const jobId = job.id ?? queueJobId(data);
    const recorded = await options.connection.get(doneKey(jobId));
    if (recorded !== null && (await exists(data.output, "file"))) return JSON.parse(recorded) as BatchEntry;
    const settings = await checkJob(data, options);
    const onProgress = progressReporter(job);
    const entry = await processFile(
      {
        input: data.input,
        output: data.output,
        relative: data.relative,
        outDir: data.outDir,
        request: { settings, review: data.review, limits: options.limits, ...(data.format ? { format: data.format } : {}) },
      },
      options.pool,
      { onProgress },
    );
    if (entry.status === "failed") throw new UnrecoverableError(JSON.stringify(entry.error));
    const result: BatchEntry = { ...entry, worker: options.name, device: options.device };
    await options.connection.set(doneKey(jobId), JSON.stringify(result), "EX", DONE_TTL_SECONDS);
    return result;
  } catch (error) {
    if (error instanceof UnrecoverableError) throw error;
    const payload = toErrorPayload(error);
    // Our own refusals and invalid jobs cannot succeed elsewhere either; anything else (a lost
    // Redis command, an inference crash) is retried with backoff.
    if (error instanceof PortraitError) throw new UnrecoverableError(JSON.stringify(payload));
    throw error;
  }
}

/** A worker's lane on one device: it takes jobs from the shared queue and from its device's own. */
export interface QueueLane {
  /** Finishes the jobs in flight first (BullMQ's graceful shutdown), so a stopped lane leaves nothing for the stalled checker. */
  close(): Promise<void>;
}

/**
 * Starts taking jobs on `options.device`: those any device may run, and those that named this
 * device (`serve --queue` with a job's `device`). Resolves once connected.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueLane> {
  // The two queues share the device's --concurrency. A full lane stops fetching from both; a job
  // both hand out at the same instant waits here (its lock kept) for the first free slot.
  let running = 0;
  const waiting: (() => void)[] = [];
  const workers: Worker[] = [];
  const described = (job: Job, path: "input" | "output"): string => job.data?.[path] ?? `daemon job ${job.id} on device ${options.device}`;
  const runCounted = async (job: Job): Promise<BatchEntry | InlineJobResult> => {
    if (running >= options.concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    if (running >= options.concurrency) for (const worker of workers) void worker.pause(true);
    try {
      options.log(`started ${described(job, "input")}`);
      const result = await runAnyJob(job, options);
      options.log(`done ${described(job, "output")}`);
      return result;
    } finally {
      running -= 1;
      const next = waiting.shift();
      if (next) next();
      else for (const worker of workers) if (worker.isPaused()) void worker.resume();
    }
  };
  for (const queue of [QUEUE_NAME, deviceQueueName(options.device)]) {
    const worker = new Worker(queue, runCounted, {
      connection: options.connection,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      // Check for stalled jobs a few times per lock period, so a crashed worker's job moves on soon.
      stalledInterval: Math.max(500, Math.round(options.lockMs / 2)),
      maxStalledCount: 2,
    });
    worker.on("error", (error) => options.log(`queue: ${error.message}`));
    worker.on("failed", (job, error) => options.log(`failed ${job?.data?.input ?? job?.id}: ${error.message}`));
    workers.push(worker);
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  return { close: async () => void (await Promise.all(workers.map((worker) => worker.close()))) };
}

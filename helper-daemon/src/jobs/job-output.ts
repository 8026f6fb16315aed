/**
 * A job's output: recorded when the runner finishes (summary, placement, review parts, the
 * bytes in memory or spilled to the job's folder) and handed out afterwards.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { PortraitError } from "@portrait-upscale/shared";
import type { JobResult } from "./engine-types";
import { scalePlacement, type Job } from "./job-record";
import { crc32Hex, readStored, storeResult } from "./stored-result";
import type { JobOutput } from "./types";

/** Where results go: bytes at least `spillBytes` long are written to `tempDir/<job id>`. */
export interface OutputStore {
  readonly tempDir: string;
  readonly spillBytes: number;
}

/** Records a finished runner's output on its job. */
export async function recordOutput(job: Job, output: JobOutput, store: OutputStore): Promise<void> {
  const bytes = output.image.bytes;
  const format = output.image.kind === "raw" ? "raw" : output.image.format;
  job.summary = Object.freeze({
    width: output.width,
    height: output.height,
    channels: output.channels,
    bitDepth: output.bitDepth,
    format,
    bytes: bytes.byteLength,
    crc32: crc32Hex(bytes),
    provider: output.provider,
    models: [...output.models],
    timings: { totalMs: output.timings.totalMs, inferenceMs: output.timings.inferenceMs },
    notes: (output.notes ?? []).map((note) => ({ code: note.code, message: note.message })),
  });
  if (output.image.kind === "raw") {
    const { bytes: _bytes, kind: _kind, placement: _placement, ...layout } = output.image;
    // Placement is the engine's business: the input's, scaled like the image.
    const source = job.source;
    job.raw = source?.placement
      ? { ...layout, placement: scalePlacement(source.placement, layout.width / source.width, layout.height / source.height) }
      : layout;
  }
  job.review = output.review;
  job.reviewSheet = output.reviewSheet;
  job.reviewCrops = output.reviewCrops;
  const folder = join(store.tempDir, job.id);
  // The folder is the job's as soon as anything may be written there, so removal finds it.
  if (bytes.byteLength >= store.spillBytes) job.folder = folder;
  job.stored = await storeResult(bytes, format, store.spillBytes, folder);
}

/** The result of a done job; JOB_NOT_FINISHED before, the job's own error after a failure. */
export function resultOf(job: Job): JobResult {
  const id = job.id;
  if (job.state === "done" && !job.stored) throw new PortraitError("JOB_UNKNOWN", "The job's result has been released.", { id });
  if (job.state !== "done" || !job.stored || !job.summary) {
    if (job.state === "failed" || job.state === "cancelled") {
      throw new PortraitError("JOB_NOT_FINISHED", `The job ${job.state === "failed" ? "failed" : "was cancelled"}; it has no result.`, {
        id,
        state: job.state,
      });
    }
    throw new PortraitError("JOB_NOT_FINISHED", undefined, { id, state: job.state });
  }
  const stored = job.stored;
  const size = job.summary.bytes;
  return {
    summary: job.summary,
    ...(job.raw ? { raw: job.raw } : {}),
    size,
    read: (offset, length) => readStored(stored, offset, Math.max(0, Math.min(length, size - offset))),
  };
}

/** A part of a done job's output (its review, sheet or crops); JOB_NOT_FINISHED before the job is done. */
export function donePart<K extends "review" | "reviewSheet" | "reviewCrops">(job: Job, part: K): Job[K] {
  if (job.state !== "done") throw new PortraitError("JOB_NOT_FINISHED", undefined, { id: job.id, state: job.state });
  return job[part];
}

/** Removes the job's spilled result, if any; the record no longer points at it. */
export async function removeFolder(job: Job): Promise<void> {
  const folder = job.folder;
  job.folder = undefined;
  job.stored = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
}

/** Lets go of everything a finished job produced: its result (in memory or on disk) and its review. */
export async function releaseOutput(job: Job): Promise<void> {
  job.stored = undefined;
  job.review = undefined;
  job.reviewSheet = undefined;
  job.reviewCrops = undefined;
  await removeFolder(job);
}

/**
 * One image of a batch, wherever it runs (this machine, or a queue worker on the studio's
 * shared folder): the one request path into a temporary name renamed over the output, its
 * review sheet written next to the batch report, and an entry for `batch.json`.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { toErrorPayload, type ErrorPayload } from "@portrait-upscale/shared";
import type { InferencePool } from "../inference/index";
import { openOutput, upscaleRequest, upscaleToFile, type UpscaleProgress, type UpscaleRequest } from "../upscale/index";

/** The folder under the output folder that holds the review sheets (`--report`). */
export const REVIEW_FOLDER = "review";

/** What `batch.json` says of one input. */
export interface BatchEntry {
  readonly input: string;
  readonly output: string;
  /** `pending`: not finished when the batch was stopped (Ctrl-C); the next run does it. */
  readonly status: "done" | "skipped" | "failed" | "pending";
  readonly preset?: string;
  readonly models?: readonly string[];
  readonly timeMs?: number;
  readonly notes?: readonly string[];
  readonly review?: { readonly verdict: "pass" | "warn"; readonly advice: readonly string[]; readonly sheet: string };
  readonly error?: ErrorPayload;
  /** Which machine ran it (queue batches). */
  readonly worker?: string;
  /** Which of that machine's devices ran it (`worker --devices`). */
  readonly device?: number;
}

export interface ProcessFileInput {
  readonly input: string;
  readonly output: string;
  /** The output's path under the output folder, `/`-separated; names the review sheet. */
  readonly relative: string;
  readonly outDir: string;
  /** Everything of the request but its image, which is `input`. */
  readonly request: Omit<UpscaleRequest, "image">;
}

/**
 * Upscales `input` into `output` (created folders included) and writes the review sheet when
 * the request asks for a review. Never throws for a bad input: the entry carries the code.
 * Throws only CANCELLED, so a batch stops instead of recording every remaining file as failed.
 */
export async function processFile(
  file: ProcessFileInput,
  pool: InferencePool,
  options: { readonly signal?: AbortSignal; readonly onProgress?: (progress: UpscaleProgress) => void } = {},
): Promise<BatchEntry> {
  const started = performance.now();
  const base = { input: file.input, output: file.output };
  try {
    await mkdir(dirname(file.output), { recursive: true });
    const request = upscaleRequest({ ...file.request, image: { kind: "file", path: file.input } });
    const result = await upscaleToFile(request, file.output, pool, options);
    let review: BatchEntry["review"];
    if (result.review) {
      const sheet = join(file.outDir, REVIEW_FOLDER, `${file.relative}.png`);
      await mkdir(dirname(sheet), { recursive: true });
      const pending = await openOutput(sheet);
      try {
        await pending.commit(result.review.sheet);
      } finally {
        await pending.discard();
      }
      review = { verdict: result.review.report.verdict, advice: result.review.report.advice, sheet: `${REVIEW_FOLDER}/${file.relative}.png` };
    }
    return {
      ...base,
      status: "done",
      ...(result.summary.portrait ? { preset: result.summary.portrait.preset } : {}),
      models: result.summary.models,
      timeMs: Math.round(performance.now() - started),
      notes: result.summary.notes,
      ...(review ? { review } : {}),
    };
  } catch (error) {
    const payload = toErrorPayload(error);
    if (payload.code === "CANCELLED") throw error;
    return { ...base, status: "failed", timeMs: Math.round(performance.now() - started), error: payload };
  }
}

/**
 * Runs a batch: skips inputs whose output exists (so an interrupted batch resumes; `overwrite`
 * redoes them), hands the rest to an executor (this machine's pool, or the queue), reports
 * each step, and collects the entries of `batch.json`. A failed input is recorded and the
 * batch goes on; a cancellation stops it, leaving finished outputs in place and the rest
 * recorded as pending, so the report can be written at the stop.
 */
import { access } from "node:fs/promises";
import { PortraitError } from "@portrait-upscale/shared";
import type { UpscaleProgress } from "../upscale/index";
import type { BatchItem } from "./inputs";
import type { BatchEntry } from "./process-file";

/** Runs one item; resolves to its entry (a failed entry for a bad input), rejects only with CANCELLED. */
export type BatchExecutor = (item: BatchItem, onProgress: (progress: UpscaleProgress) => void) => Promise<BatchEntry>;

/** What a batch reports as it goes. */
export type BatchEvent =
  | { readonly type: "start"; readonly total: number; readonly skipped: number }
  | { readonly type: "file"; readonly index: number; readonly total: number; readonly item: BatchItem }
  | { readonly type: "progress"; readonly item: BatchItem; readonly progress: UpscaleProgress }
  | { readonly type: "entry"; readonly index: number; readonly total: number; readonly entry: BatchEntry; readonly etaSeconds: number };

export interface RunBatchOptions {
  readonly overwrite: boolean;
  /** Items in flight at once: 1 on this machine, more when a pool of workers takes them. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: BatchEvent) => void;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A batch's outcome: one entry per item in the items' order. */
export interface BatchOutcome {
  readonly entries: readonly BatchEntry[];
  /** True when `signal` stopped the batch; items not finished then are `pending`. */
  readonly cancelled: boolean;
}

/** Runs `items` through `execute`; a cancellation resolves too, with the unfinished items pending. */
export async function runBatch(items: readonly BatchItem[], execute: BatchExecutor, options: RunBatchOptions): Promise<BatchOutcome> {
  const entries: (BatchEntry | undefined)[] = new Array(items.length);
  const pending: number[] = [];
  for (const [index, item] of items.entries()) {
    if (!options.overwrite && (await exists(item.output))) entries[index] = { input: item.input, output: item.output, status: "skipped" };
    else pending.push(index);
  }
  const total = pending.length;
  options.onEvent?.({ type: "start", total, skipped: items.length - total });
  const started = performance.now();
  let finished = 0;
  let next = 0;
  let cancelled = false;
  const lane = async (): Promise<void> => {
    while (next < pending.length && !cancelled) {
      if (options.signal?.aborted) {
        cancelled = true;
        return;
      }
      const index = pending[next++];
      const item = items[index];
      options.onEvent?.({ type: "file", index: finished + 1, total, item });
      let entry: BatchEntry;
      try {
        entry = await execute(item, (progress) => options.onEvent?.({ type: "progress", item, progress }));
      } catch (error) {
        if (!(error instanceof PortraitError && error.code === "CANCELLED")) throw error;
        cancelled = true;
        return;
      }
      entries[index] = entry;
      finished++;
      const perFile = (performance.now() - started) / 1000 / finished;
      options.onEvent?.({ type: "entry", index: finished, total, entry, etaSeconds: perFile * (total - finished) });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, total)) }, lane));
  cancelled ||= options.signal?.aborted === true && entries.includes(undefined);
  return {
    entries: items.map((item, index) => entries[index] ?? { input: item.input, output: item.output, status: "pending" as const }),
    cancelled,
  };
}

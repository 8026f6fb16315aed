/**
 * Writes a review into a folder: `review.json` (the full report) and `review.png` (the
 * contact sheet). Each file is written under a temporary name and renamed, so a reader never
 * sees half a file, and an earlier review in the folder stays whole until replaced.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { unwritable } from "../upscale/output-file";
import type { ReviewReport } from "./build-review";

/** The file names inside the review folder. */
export const REVIEW_JSON = "review.json";
export const REVIEW_PNG = "review.png";

/** Where a review was written. */
export interface WrittenReview {
  readonly json: string;
  readonly png: string;
}

/**
 * Writes `review.json` and `review.png` into `dir` (created if missing).
 * Fails with OUTPUT_UNWRITABLE naming the path.
 *
 * @example const { json, png } = await writeReview("out/review", report, sheet);
 */
export async function writeReview(dir: string, report: ReviewReport, sheet: Uint8Array): Promise<WrittenReview> {
  const folder = resolve(dir);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw unwritable(folder, error);
  }
  const json = join(folder, REVIEW_JSON);
  const png = join(folder, REVIEW_PNG);
  await writeAtomically(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeAtomically(png, sheet);
  return { json, png };
}

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (error) {
    throw unwritable(path, error);
  }
}

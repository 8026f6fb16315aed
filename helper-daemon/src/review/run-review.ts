/**
 * Running a review where an upscale happens: the command line's `--report DIR` and the
 * daemon's `review=1`. The portrait pipeline hands over its faces and fidelity branch; a
 * plain model upscale has neither, so faces are found here on the source (BlazeFace on the
 * inference pool) and the result is compared with the source.
 */
import { readFile } from "node:fs/promises";
import { decodeImage, decodeRawPixels, type DecodeOptions, type RawHeader } from "../image/codec";
import type { InferencePool } from "../inference/index";
import { poolDetector } from "../portrait/detector";
import { detectFaces, type Face, type RunDetector } from "../portrait/faces";
import type { RgbImage } from "../image/image";
import type { ReviewSettings } from "./advice";
import { buildReview, type ReviewReport } from "./build-review";
import { renderContactSheet, type ContactSheetOptions } from "./contact-sheet";
import { writeReview, type WrittenReview } from "./write-review";

export interface RunReviewOptions extends ContactSheetOptions {
  readonly source: RgbImage;
  readonly result: RgbImage;
  readonly scale: number;
  readonly settings: ReviewSettings;
  /** The pipeline's fidelity branch at the result's size, when it kept it. */
  readonly fidelity?: RgbImage;
  /** Faces found on the source (the pipeline's); found with `runDetector` when absent. */
  readonly faces?: readonly Face[];
  readonly runDetector?: RunDetector;
  readonly signal?: AbortSignal;
}

/** A report and its contact sheet. */
export interface ReviewOutcome {
  readonly report: ReviewReport;
  /** The contact sheet, PNG bytes. */
  readonly sheet: Uint8Array;
}

/**
 * Reviews an upscale: faces (given or detected), the report, the contact sheet.
 * Without faces and without a detector, the review is of the whole image.
 *
 * @example const { report, sheet } = await runReview({ source, result, scale: 4, settings, runDetector: poolDetector(pool) });
 */
export async function runReview(options: RunReviewOptions): Promise<ReviewOutcome> {
  const { source, result, scale, settings } = options;
  const faces = options.faces ?? (options.runDetector ? await detectFaces(source, options.runDetector, options.signal ? { signal: options.signal } : {}) : []);
  options.signal?.throwIfAborted();
  const report = buildReview({ source, result, scale, settings, faces, ...(options.fidelity ? { fidelity: options.fidelity } : {}) });
  const sheet = await renderContactSheet(report, { source, result }, options.sourceKernel ? { sourceKernel: options.sourceKernel } : {});
  return { report, sheet };
}

/** What every review of an upscale needs, wherever the result lives (a file, a daemon job). */
export interface ReviewContext {
  readonly pool: InferencePool;
  readonly scale: number;
  readonly settings: ReviewSettings;
  /** What the portrait pipeline found and kept, when it ran (faces are detected otherwise). */
  readonly faces?: readonly Face[];
  readonly fidelity?: RgbImage;
  readonly signal?: AbortSignal;
  readonly decode?: DecodeOptions;
}

export type ReviewFilesOptions = ReviewContext;

/**
 * Reviews an upscale already written to disk (the command line's `--report DIR`): decodes the
 * input and the output as written, so the review sees exactly the pixels the user gets,
 * finds the faces, and writes `review.json` and `review.png` into `dir`.
 *
 * @example await reviewFiles("in.png", "out.png", "out-review", { pool, scale: 4, settings: { model: "x4plus" } });
 */
export async function reviewFiles(
  inputPath: string,
  outputPath: string,
  dir: string,
  options: ReviewFilesOptions,
): Promise<ReviewOutcome & { readonly written: WrittenReview }> {
  const [input, output] = await Promise.all([readFile(inputPath), readFile(outputPath)]);
  const source = (await decodeImage(input, options.decode)).image;
  const result = (await decodeImage(output, options.decode)).image;
  const outcome = await runReview({
    source,
    result,
    scale: options.scale,
    settings: options.settings,
    runDetector: poolDetector(options.pool, options.signal),
    ...(options.faces ? { faces: options.faces } : {}),
    ...(options.fidelity ? { fidelity: options.fidelity } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const written = await writeReview(dir, outcome.report, outcome.sheet);
  return { ...outcome, written };
}

/**
 * Decodes a finished job's result as it will be delivered (raw pixels with their header, or an
 * encoded file), for reviewing it.
 */
export async function decodeJobResult(bytes: Uint8Array, raw: RawHeader | undefined, options: DecodeOptions = {}): Promise<RgbImage> {
  return raw ? decodeRawPixels(bytes, raw, options).image : (await decodeImage(bytes, options)).image;
}

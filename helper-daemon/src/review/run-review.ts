/**
 * Running a review of images in memory. The upscale service's one review entry
 * (`reviewUpscale`) calls it with the pipeline's faces and fidelity branch; a plain model
 * upscale has neither, so faces are found here on the source and the result is compared
 * with the source.
 */
import { detectFaces, type Face, type RunDetector } from "../portrait/faces";
import type { RgbImage } from "../image/image";
import type { ReviewSettings } from "./advice";
import { buildReview, type ReviewReport } from "./build-review";
import { renderContactSheet, type ContactSheetOptions } from "./contact-sheet";

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

/**
 * The review of a daemon job (`review=1`, WebSocket `review: true`): the result as it will be
 * delivered is decoded and reviewed against the decoded source; the protocol's report goes
 * to the client (the `review` message, `GET /v1/jobs/{id}/review`) and the contact sheet is
 * kept for `GET /v1/jobs/{id}/review.png`; the per-region crops are the panel's thumbnails.
 */
import type { ReviewReport as ProtocolReviewReport } from "@portrait-upscale/shared";
import type { RawHeader } from "../image/codec";
import { poolDetector } from "../portrait/detector";
import type { RgbImage } from "../image/image";
import { toProtocolReport, type ReviewReport } from "./build-review";
import { renderRegionCrops, type RegionCrop } from "./contact-sheet";
import { decodeJobResult, runReview, type ReviewContext } from "./run-review";

export interface JobReviewInput extends ReviewContext {
  /** The decoded source the job upscaled. */
  readonly source: RgbImage;
  /** The result's bytes as stored for the client, and its raw layout when they are raw pixels. */
  readonly resultBytes: Uint8Array;
  readonly raw?: RawHeader;
}

/** A job's review: the full report, the protocol's shorter one, the contact sheet (PNG) and the panel's crops. */
export interface JobReview {
  readonly report: ReviewReport;
  readonly protocolReport: ProtocolReviewReport;
  readonly sheet: Uint8Array;
  /** A small before/after PNG per face and region, for clients that show thumbnails. */
  readonly crops: readonly RegionCrop[];
}

/**
 * Reviews a finished job's result.
 *
 * @example const { protocolReport, sheet } = await reviewJobResult({ pool, source: decoded.image, resultBytes: bytes, scale: 4, settings: { model: "x4plus" } });
 */
export async function reviewJobResult(input: JobReviewInput): Promise<JobReview> {
  const result = await decodeJobResult(input.resultBytes, input.raw, input.decode);
  const { report, sheet } = await runReview({
    source: input.source,
    result,
    scale: input.scale,
    settings: input.settings,
    runDetector: poolDetector(input.pool, input.signal),
    ...(input.faces ? { faces: input.faces } : {}),
    ...(input.fidelity ? { fidelity: input.fidelity } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const crops = await renderRegionCrops(report, { source: input.source, result });
  return { report, protocolReport: toProtocolReport(report), sheet, crops };
}

/**
 * The one function that runs an {@link UpscaleRequest}, whoever made it: read or decode the
 * input, upscale (portrait pipeline or bare model), encode, and review when asked. The
 * command line, the daemon's job runner, the batch runner and queue workers all call it, so
 * the same request gives the same bytes everywhere.
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import { decodeImage, decodeRawPixels, type DecodedImage } from "../image/codec";
import type { InferencePool } from "../inference/index";
import { readInputFile } from "../image/input-file";
import { rejectEmptyPngHeader } from "./input-checks";
import { ProgressTracker, type UpscaleProgress } from "./progress";
import type { UpscaleRequest } from "./request";
import { reviewUpscale, type UpscaleReview } from "./review-step";
import { upscaleDecoded, type UpscaleBytesResult } from "./upscale-decoded";

/** Where a review starts on the progress bar (it costs a detector run and scoring, not a model). */
export const REVIEW_START = 0.9;

export interface RunRequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: UpscaleProgress) => void;
  /** The cost model's prediction, seconds: the ETA starts from it instead of climbing. */
  readonly predictedSeconds?: number;
}

/** The encoded result and what the run did; `source` keeps what the encoder preserved (profile, depth). */
export interface RequestResult extends UpscaleBytesResult {
  readonly source: Omit<DecodedImage, "image">;
  readonly review?: UpscaleReview;
}

/**
 * Runs a validated request on `pool`. Rejects with the input's code (INPUT_NOT_IMAGE,
 * INPUT_TOO_LARGE, …), or CANCELLED soon after `options.signal` aborts.
 * @example const { bytes, summary } = await runUpscaleRequest(request, pool, { onProgress });
 */
export async function runUpscaleRequest(request: UpscaleRequest, pool: InferencePool, options: RunRequestOptions = {}): Promise<RequestResult> {
  const started = performance.now();
  const share = request.review ? REVIEW_START : 1;
  const onProgress = options.onProgress;
  const tracker = new ProgressTracker(onProgress ? (progress) => onProgress({ ...progress, progress: progress.progress * share }) : undefined);
  if (options.predictedSeconds !== undefined) tracker.seed(options.predictedSeconds);
  tracker.decode();
  const decoded = await decodeRequestImage(request);
  if (options.signal?.aborted) throw new PortraitError("CANCELLED");
  const result = await upscaleDecoded(
    decoded,
    pool,
    request.settings,
    {
      limits: request.limits,
      ...(request.format !== undefined ? { format: request.format } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // The review compares against the fidelity branch, so keep it only when one is wanted.
      keepBranches: request.review,
    },
    tracker,
    started,
  );
  const { image: _source, ...source } = decoded;
  if (!request.review) return { ...result, source };
  // keepBranches kept the float result for the review.
  if (!result.image) throw new PortraitError("INTERNAL", "The review needs the result as float pixels.");
  onProgress?.({ stage: "review", progress: REVIEW_START });
  const review = await reviewUpscale({
    pool,
    source: decoded.image,
    result: result.image,
    settings: request.settings,
    ...(result.pipeline ? { pipeline: result.pipeline } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const summary = { ...result.summary, timings: { ...result.summary.timings, totalMs: Math.round(performance.now() - started) } };
  return { ...result, summary, source, review };
}

async function decodeRequestImage(request: UpscaleRequest): Promise<DecodedImage> {
  const { image, limits } = request;
  if (image.kind === "raw") return decodeRawPixels(image.bytes, image.header, { limits });
  const bytes = image.kind === "file" ? await readInputFile(image.path) : image.bytes;
  rejectEmptyPngHeader(bytes);
  return decodeImage(bytes, { limits });
}


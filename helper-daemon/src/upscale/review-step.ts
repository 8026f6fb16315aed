/**
 * The one review entry of an upscale (the command line's `--report`, the daemon's `review`,
 * batch reports): the source and the result are already in memory, so nothing is decoded
 * again. Faces come from the portrait pipeline when it ran, else the detector finds them.
 */
import type { ReviewReport as ProtocolReviewReport } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import type { InferencePool } from "../inference/index";
import { poolDetector } from "../portrait/detector";
import { renderRegionCrops, reviewSettingsOf, runReview, toProtocolReport, type RegionCrop, type ReviewReport } from "../review/index";
import type { PortraitOutcome } from "./portrait";
import type { UpscaleSettings } from "./settings";

/** A result's review: the full report, the protocol's shorter one, the contact sheet (PNG) and per-region crops. */
export interface UpscaleReview {
  readonly report: ReviewReport;
  readonly protocolReport: ProtocolReviewReport;
  readonly sheet: Uint8Array;
  readonly crops: readonly RegionCrop[];
}

export interface ReviewUpscaleInput {
  readonly pool: InferencePool;
  readonly source: RgbImage;
  readonly result: RgbImage;
  readonly settings: UpscaleSettings;
  /** What the portrait pipeline found and kept (faces, fidelity branch), when it ran. */
  readonly pipeline?: PortraitOutcome;
  readonly signal?: AbortSignal;
}

/**
 * Reviews an upscale at 100 %.
 * @example const { report, sheet } = await reviewUpscale({ pool, source, result, settings });
 */
export async function reviewUpscale(input: ReviewUpscaleInput): Promise<UpscaleReview> {
  const { settings, pipeline } = input;
  const { report, sheet } = await runReview({
    source: input.source,
    result: input.result,
    scale: settings.scale,
    settings: settings.portrait ? reviewSettingsOf(settings.portrait) : { model: settings.model },
    runDetector: poolDetector(input.pool, input.signal),
    ...(pipeline ? { faces: pipeline.faces } : {}),
    ...(pipeline?.fidelity ? { fidelity: pipeline.fidelity } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const crops = await renderRegionCrops(report, { source: input.source, result: input.result });
  return { report, protocolReport: toProtocolReport(report), sheet, crops };
}

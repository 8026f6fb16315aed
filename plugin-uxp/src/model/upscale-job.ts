/**
 * One "Upscale Portrait", start to finish, without freezing Photoshop: read the pixels in one
 * short modal scope and release it; send them to the daemon (progress, cancel); receive the
 * result; write it in a second short modal scope as a new smart object layer above the
 * source, as one history step.
 */
import { isUserModelRef, type JobNote, type Overrides, type PresetSummary, type Progress, type ReviewReport } from "@portrait-upscale/shared";
import { reviewThumbnails, type ReviewThumbnail } from "./review-thumbnails";
import type { DaemonConnection, JobHandle, JobOutcome } from "../client/daemon-client";
import { PanelError } from "../panel-errors";
import { boundsHeight, boundsWidth, type PhotoshopAdapter, type PhotoshopPixels } from "../photoshop/adapter";
import { photoshopSamplesToWire, wireToPhotoshopSamples } from "../photoshop/bit-depth";
import { withModalRetry, type ModalRetryOptions } from "../photoshop/modal";
import { resultLayerName, resultPlacement, upscaleSource } from "./plan";
import { FACE_RESTORE_OFF, FACE_RESTORE_PRESET, type PanelSettings, type PlacementMode } from "./settings";

/** The one undo step the result is written in. */
export const HISTORY_STEP_NAME = "Upscale Portrait";

export type JobPhase =
  | { readonly phase: "reading" }
  | { readonly phase: "waiting-for-photoshop"; readonly attempt: number }
  | { readonly phase: "uploading"; readonly fraction: number }
  | {
      readonly phase: "working";
      readonly jobId: string;
      readonly stage: Progress["stage"];
      readonly fraction: number;
      /** Present only while the daemon counts a model's tiles. */
      readonly tile?: number;
      readonly tiles?: number;
      readonly etaSeconds: number | null;
    }
  | { readonly phase: "downloading"; readonly fraction: number }
  | { readonly phase: "placing" };

/** What was done, for the panel's summary. */
export interface UpscaleSummary {
  readonly documentId: number;
  readonly layerId: number;
  readonly layerName: string;
  readonly placement: PlacementMode;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly provider: string;
  readonly models: readonly string[];
  /** The daemon's own time for the job. */
  readonly seconds: number;
  readonly review?: ReviewReport;
  /** The daemon's notes on the result (a small face, no face, a speculative scale). */
  readonly notes: readonly JobNote[];
  /** Before/after thumbnails of the reviewed regions, when the daemon sent them. */
  readonly thumbnails: readonly ReviewThumbnail[];
}

export interface UpscaleRequest {
  readonly preset: PresetSummary;
  readonly settings: PanelSettings;
  /** Limits announced by the daemon, to refuse early with a clear message. */
  readonly limits?: { readonly maxInputPixels: number; readonly maxOutputPixels: number };
}

export interface UpscaleEvents {
  onPhase(phase: JobPhase): void;
  /** The daemon job's handle, as soon as the upload starts (for Cancel). */
  onJob?(handle: JobHandle): void;
}

/** The overrides a job sends: none for a locked preset (it would refuse them). */
export function jobOverrides(preset: PresetSummary, settings: PanelSettings): Overrides {
  if (preset.locked) return {};
  return { scale: settings.scale, creativity: settings.creativity, resemblance: settings.resemblance, denoise: settings.denoise, ...faceRestoreOverrides(settings) };
}

/** The face-restore overrides of the panel's choice: none for the preset's, null for none, else the model and strength. */
export function faceRestoreOverrides(settings: Pick<PanelSettings, "faceRestore" | "faceRestoreStrength">): Pick<Overrides, "faceRestore" | "faceRestoreStrength"> {
  if (settings.faceRestore === FACE_RESTORE_PRESET) return {};
  if (settings.faceRestore === FACE_RESTORE_OFF || !isUserModelRef(settings.faceRestore)) return { faceRestore: null };
  return { faceRestore: settings.faceRestore, faceRestoreStrength: settings.faceRestoreStrength };
}

/** The scale a job will produce. */
export function effectiveScale(preset: PresetSummary, settings: PanelSettings): number {
  return preset.locked ? preset.scale : settings.scale;
}

/** Runs one upscale of the active layer (within the selection, if any). */
export async function upscaleActiveLayer(
  adapter: PhotoshopAdapter,
  connection: DaemonConnection,
  request: UpscaleRequest,
  events: UpscaleEvents,
  modalOptions: ModalRetryOptions = {},
): Promise<UpscaleSummary> {
  const { preset, settings } = request;
  const scale = effectiveScale(preset, settings);
  const source = upscaleSource(await adapter.activeDocument());
  const { document, layer } = source;
  const sourcePixels = boundsWidth(source.area) * boundsHeight(source.area);
  if (request.limits && sourcePixels > request.limits.maxInputPixels) {
    throw new PanelError("INPUT_TOO_LARGE", undefined, { pixels: sourcePixels, limit: request.limits.maxInputPixels });
  }
  if (request.limits && sourcePixels * scale * scale > request.limits.maxOutputPixels) {
    throw new PanelError("OUTPUT_TOO_LARGE", undefined, { pixels: sourcePixels * scale * scale, limit: request.limits.maxOutputPixels });
  }
  const modal = {
    ...modalOptions,
    onWait: (attempt: number) => events.onPhase({ phase: "waiting-for-photoshop", attempt }),
  };

  events.onPhase({ phase: "reading" });
  let pixels: PhotoshopPixels | undefined = await withModalRetry(
    adapter,
    "Read layer pixels",
    (scope) => adapter.readPixels(scope, { documentId: document.id, layerId: layer.id, within: source.area }),
    modal,
  );
  if (pixels.width === 0 || pixels.height === 0) {
    throw new PanelError("INPUT_EMPTY", "The layer has no visible pixels there (it is fully transparent).");
  }
  const bounds = pixels.bounds;
  const { width: sourceWidth, height: sourceHeight, channels, bitDepth } = pixels;
  const colorProfile = pixels.colorProfile ?? document.colorProfile;

  events.onPhase({ phase: "uploading", fraction: 0 });
  const handle = connection.runJob(
    {
      preset: preset.id,
      overrides: jobOverrides(preset, settings),
      review: settings.review,
      ...(settings.device !== undefined ? { device: settings.device } : {}),
      width: sourceWidth,
      height: sourceHeight,
      channels,
      bitDepth,
      ...(colorProfile !== undefined ? { colorProfile } : {}),
      placement: { left: bounds.left, top: bounds.top, documentWidth: document.width, documentHeight: document.height },
      bytes: photoshopSamplesToWire(pixels.data, bitDepth),
    },
    {
      onUpload: (sent, total) => events.onPhase({ phase: "uploading", fraction: sent / total }),
      onProgress: (progress) =>
        events.onPhase({
          phase: "working",
          jobId: progress.jobId,
          stage: progress.stage,
          fraction: progress.fraction,
          ...(progress.tile !== undefined && progress.tiles !== undefined && progress.tiles > 0 ? { tile: progress.tile, tiles: progress.tiles } : {}),
          etaSeconds: progress.etaSeconds,
        }),
      onDownload: (received, total) => events.onPhase({ phase: "downloading", fraction: received / total }),
    },
  );
  // The client holds the bytes until they are sent; the panel lets go of its copy now.
  pixels = undefined;
  events.onJob?.(handle);
  // Converted inside a helper so the received bytes are unreachable once it returns.
  const { outcome, resultData } = await receiveResult(handle, bitDepth);

  const { image } = outcome;
  if (image.width !== sourceWidth * scale || image.height !== sourceHeight * scale || image.channels !== channels || image.bitDepth !== bitDepth) {
    throw new PanelError("INTERNAL", `Expected a ${sourceWidth * scale} × ${sourceHeight * scale} result but received ${image.width} × ${image.height}`, {
      width: image.width,
      height: image.height,
    });
  }
  const name = resultLayerName(layer.name, scale, preset.name);
  const placement = resultPlacement(settings.placement, document, bounds, scale);

  events.onPhase({ phase: "placing" });
  const placed = await withModalRetry(
    adapter,
    "Place upscaled portrait",
    async (scope) => {
      let documentId = document.id;
      if (settings.placement === "new-document" && placement.documentSize) {
        documentId = await adapter.createDocument(scope, {
          name: `${document.title} ×${scale}`,
          width: placement.documentSize.width,
          height: placement.documentSize.height,
          resolution: document.resolution,
          mode: document.mode === "grayscale" ? "grayscale" : "rgb",
          bitDepth,
          ...(document.colorProfile !== undefined ? { colorProfile: document.colorProfile } : {}),
        });
      }
      const suspension = await adapter.suspendHistory(scope, documentId, HISTORY_STEP_NAME);
      try {
        if (settings.placement === "enlarge" && placement.documentSize) {
          await adapter.resizeDocument(scope, documentId, placement.documentSize.width, placement.documentSize.height);
        }
        const newLayer = await adapter.placeSmartObject(scope, {
          documentId,
          ...(settings.placement === "new-document" ? {} : { aboveLayerId: layer.id }),
          name,
          pixels: { width: image.width, height: image.height, channels, bitDepth, data: resultData, ...(colorProfile ? { colorProfile } : {}) },
          target: placement.target,
        });
        await adapter.resumeHistory(scope, suspension, true);
        return { documentId, layer: newLayer };
      } catch (error) {
        // Roll back whatever part of the write happened, so a failure leaves no half-made step.
        await adapter.resumeHistory(scope, suspension, false).catch(() => undefined);
        throw error;
      }
    },
    modal,
  );

  return {
    documentId: placed.documentId,
    layerId: placed.layer.id,
    layerName: name,
    placement: settings.placement,
    sourceWidth,
    sourceHeight,
    width: image.width,
    height: image.height,
    scale,
    provider: outcome.provider,
    models: outcome.models,
    seconds: outcome.timings.totalMs / 1000,
    ...(outcome.review !== undefined ? { review: outcome.review } : {}),
    notes: outcome.notes ?? [],
    thumbnails: reviewThumbnails(outcome.crops ?? []),
  };
}

async function receiveResult(handle: JobHandle, bitDepth: 8 | 16): Promise<{ outcome: Omit<JobOutcome, "bytes">; resultData: Uint8Array | Uint16Array }> {
  const { bytes, ...outcome } = await handle.outcome;
  return { outcome, resultData: wireToPhotoshopSamples(bytes, bitDepth) };
}

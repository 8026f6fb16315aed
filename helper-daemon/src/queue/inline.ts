/**
 * Daemon jobs forwarded to the pool (`serve --queue`): a panel's or GIMP's image is small
 * enough to travel inside the job (base64 in Redis), and so is the result. The worker runs it
 * with `runUpscaleRequest` like any request; the daemon turns the answer back into its job
 * output, so clients see the same protocol as with a local daemon.
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import type { ImageFormat, RawHeader } from "../image/codec";
import type { ChannelCount } from "../image/image";
import type { JobOptions } from "../jobs/types";
import type { FinishedRequest } from "../server/upscale-runner";
import type { RequestImage, RequestResult } from "../upscale/index";

/** Largest image carried inside a job; larger ones belong on the shared folder (`batch`). */
export const MAX_INLINE_BYTES = 48 * 1024 * 1024;

export interface InlineJobData {
  readonly version: 1;
  readonly image: { readonly kind: "encoded"; readonly base64: string } | { readonly kind: "raw"; readonly base64: string; readonly header: RawHeader };
  /** The daemon job's preset and overrides (a daemon always runs a preset). */
  readonly options: Omit<JobOptions, "review">;
  readonly settingsHash: string;
  readonly format?: ImageFormat;
  readonly review: boolean;
}

/** The worker's answer. */
export interface InlineJobResult {
  readonly base64: string;
  readonly summary: RequestResult["summary"];
  readonly colorProfile?: string;
  readonly review?: { readonly protocolReport: unknown; readonly sheet: string; readonly crops: readonly { readonly face?: number; readonly region: string; readonly width: number; readonly height: number; readonly png: string }[] };
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

/** The job data for a daemon job's image; INPUT_TOO_LARGE past {@link MAX_INLINE_BYTES}. */
export function inlineImage(image: RequestImage): InlineJobData["image"] {
  if (image.kind === "file") throw new PortraitError("INTERNAL", "A daemon job has its image in memory.");
  if (image.bytes.byteLength > MAX_INLINE_BYTES) {
    throw new PortraitError("INPUT_TOO_LARGE", `Expected at most ${MAX_INLINE_BYTES} bytes for an image sent to the studio's workers but received ${image.bytes.byteLength}`, {
      byteLength: image.bytes.byteLength,
      limit: MAX_INLINE_BYTES,
    });
  }
  return image.kind === "raw" ? { kind: "raw", base64: toBase64(image.bytes), header: image.header } : { kind: "encoded", base64: toBase64(image.bytes) };
}

/** The request image of a job's data, checked where the worker receives it. */
export function requestImageOf(data: InlineJobData): RequestImage {
  const image = data.image;
  if (image === null || typeof image !== "object" || typeof image.base64 !== "string") throw invalidParameter("an inline image", "job.image", image);
  if (image.kind === "encoded") return { kind: "encoded", bytes: fromBase64(image.base64) };
  if (image.kind !== "raw") throw invalidParameter("encoded or raw", "job.image.kind", (image as { kind: unknown }).kind);
  const { width, height, channels, bitDepth, colorProfile } = image.header;
  const header: RawHeader = {
    width: Number(width),
    height: Number(height),
    channels: Number(channels) as ChannelCount,
    bitDepth: Number(bitDepth) === 16 ? 16 : 8,
    ...(typeof colorProfile === "string" ? { colorProfile } : {}),
  };
  return { kind: "raw", bytes: fromBase64(image.base64), header };
}

/** The worker's answer for a finished request. */
export function inlineResultOf(result: RequestResult): InlineJobResult {
  return {
    base64: toBase64(result.bytes),
    summary: result.summary,
    ...(result.source.colorProfile !== undefined ? { colorProfile: result.source.colorProfile } : {}),
    ...(result.review
      ? {
          review: {
            protocolReport: result.review.protocolReport,
            sheet: toBase64(result.review.sheet),
            crops: result.review.crops.map((crop) => ({ ...crop, png: toBase64(crop.png) })),
          },
        }
      : {}),
  };
}

/** The daemon's view of a worker's answer. */
export function finishedRequestOf(answer: InlineJobResult): FinishedRequest {
  return {
    bytes: fromBase64(answer.base64),
    summary: answer.summary,
    source: answer.colorProfile !== undefined ? { colorProfile: answer.colorProfile } : {},
    ...(answer.review
      ? {
          review: {
            protocolReport: answer.review.protocolReport as NonNullable<FinishedRequest["review"]>["protocolReport"],
            sheet: fromBase64(answer.review.sheet),
            crops: answer.review.crops.map((crop) => ({ ...crop, png: fromBase64(crop.png) })),
          },
        }
      : {}),
  };
}

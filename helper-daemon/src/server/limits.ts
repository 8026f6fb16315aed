/** Size checks made from an image's header, before its pixels are read or allocated. */
import { PortraitError } from "@portrait-upscale/shared";
import type { DaemonConfig } from "../config/config";

/** Throws INPUT_TOO_LARGE or OUTPUT_TOO_LARGE when a `width`×`height` input at `scale` is over the limits. */
export function checkImageSize(config: DaemonConfig, width: number, height: number, scale: number, byteLength?: number): void {
  const { maxInputPixels, maxOutputPixels, maxUploadBytes } = config.limits;
  const pixels = width * height;
  if (pixels > maxInputPixels) {
    throw new PortraitError("INPUT_TOO_LARGE", `Expected at most ${maxInputPixels} pixels for the input but received ${width}×${height} (${pixels})`, {
      width,
      height,
      limit: maxInputPixels,
    });
  }
  if (byteLength !== undefined && byteLength > maxUploadBytes) {
    throw new PortraitError("INPUT_TOO_LARGE", `Expected at most ${maxUploadBytes} bytes for the input but received ${byteLength}`, {
      byteLength,
      limit: maxUploadBytes,
    });
  }
  const outputPixels = pixels * scale * scale;
  if (outputPixels > maxOutputPixels) {
    throw new PortraitError(
      "OUTPUT_TOO_LARGE",
      `Expected at most ${maxOutputPixels} pixels for the result but ${width}×${height} at ×${scale} makes ${outputPixels}`,
      { width: width * scale, height: height * scale, limit: maxOutputPixels },
    );
  }
}

/**
 * Bytes of uploads being received right now, across every client: each upload's buffer is
 * allocated when it starts, so many slow uploads at once could otherwise exhaust memory.
 */
export class UploadBudget {
  readonly #limit: number;
  #used = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Reserves `bytes`, or throws TOO_MANY_JOBS (retry later); returns the function that gives them back. */
  reserve(bytes: number): () => void {
    if (this.#used + bytes > this.#limit) {
      throw new PortraitError("TOO_MANY_JOBS", "The daemon is receiving too many images at once; try again in a moment.", {
        reason: "uploads",
        limit: this.#limit,
      });
    }
    this.#used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= bytes;
    };
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }
}

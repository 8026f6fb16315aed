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

/** Memory held for one upload: grown as its bytes are promised or arrive, released once. */
export interface UploadReservation {
  /** Holds `bytes` more, or throws TOO_MANY_JOBS (retry later) when the daemon-wide budget is spent. */
  grow(bytes: number): void;
  /** Gives every byte back; later calls do nothing. */
  release(): void;
}

/**
 * Bytes of uploads being received right now, across every client, so that many slow uploads
 * at once cannot exhaust memory. An upload holds what it has declared (its buffer is
 * allocated up front) or, without a declared length, what has actually arrived: a stalled
 * chunked upload of 16 bytes holds 16 bytes, not the per-job maximum.
 */
export class UploadBudget {
  readonly #limit: number;
  #used = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Starts an empty reservation. */
  open(): UploadReservation {
    let held = 0;
    let released = false;
    return {
      grow: (bytes: number) => {
        if (released) return;
        this.#take(bytes);
        held += bytes;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#used -= held;
      },
    };
  }

  /** Reserves `bytes` at once (a declared length); returns the function that gives them back. */
  reserve(bytes: number): () => void {
    const reservation = this.open();
    reservation.grow(bytes);
    return reservation.release;
  }

  #take(bytes: number): void {
    if (this.#used + bytes > this.#limit) {
      throw new PortraitError("TOO_MANY_JOBS", "The daemon is receiving too many images at once; try again in a moment.", {
        reason: "uploads",
        limit: this.#limit,
      });
    }
    this.#used += bytes;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }
}

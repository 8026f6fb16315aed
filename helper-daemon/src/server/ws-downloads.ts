/**
 * What one WebSocket connection sends back for a done job: its review report, its review
 * crops (for clients that asked), then its result, each binary transfer paced by the client's
 * acks through the shared {@link ChunkSender}.
 */
import {
  ChunkSender,
  PortraitError,
  crc32Hex,
  errorMessage,
  imageHeaderOf,
  type DaemonMessage,
  type MessageOfType,
  type ProtocolFeature,
} from "@portrait-upscale/shared";
import type { JobResult } from "../jobs/engine";
import type { ReviewCropImage } from "../jobs/types";
import type { DaemonContext } from "./context";
import { nativeCrc32Update } from "./native-crc";

/** The connection a download goes out on. */
export interface DownloadChannel {
  send(message: DaemonMessage): void;
  /** Sends a binary frame; false when the connection is gone. */
  sendFrame(frame: Uint8Array): boolean;
  takeTransferId(): number;
  /** The optional protocol parts this client asked for. */
  readonly features: ReadonlySet<ProtocolFeature>;
}

interface Download {
  readonly jobId: string;
  readonly sender: ChunkSender;
  /** Runs once the client has acknowledged every chunk. */
  readonly onDone: () => void;
}

/** The transfers being sent to one connection, by transfer id. */
export class Downloads {
  readonly #context: DaemonContext;
  readonly #channel: DownloadChannel;
  readonly #downloads = new Map<number, Download>();

  constructor(context: DaemonContext, channel: DownloadChannel) {
    this.#context = context;
    this.#channel = channel;
  }

  /**
   * Sends a done job's review, crops and result; `onSent` runs once the result is fully
   * acknowledged. RESULT_NOT_RAW for a job whose result is an encoded file (an HTTP job).
   */
  start(jobId: string, onSent: () => void): void {
    const { engine } = this.#context;
    const result = engine.result(jobId);
    if (!result.raw) {
      throw new PortraitError("RESULT_NOT_RAW", `The result is a ${result.summary.format.toUpperCase()} file; fetch it over HTTP.`, { jobId, format: result.summary.format });
    }
    const review = engine.review(jobId);
    if (review !== undefined) this.#channel.send({ type: "review", jobId, report: review as MessageOfType<DaemonMessage, "review">["report"] });
    const crops = review !== undefined && this.#channel.features.has("review-crops") ? engine.reviewCrops(jobId) : undefined;
    // The crops go first and the result only once they are acknowledged: one transfer at a
    // time keeps a UXP socket's buffer as small as a single transfer's window.
    if (crops !== undefined && crops.length > 0) this.#sendCrops(jobId, crops, () => this.#sendResult(jobId, result, onSent));
    else this.#sendResult(jobId, result, onSent);
  }

  /** Records an ack; MESSAGE_INVALID for a transfer that is not being sent. */
  acknowledge(transferId: number, received: number): void {
    const download = this.#downloads.get(transferId);
    if (!download) {
      throw new PortraitError("MESSAGE_INVALID", `Expected the transfer id of a result being sent for ack.transferId but received ${transferId}`, {
        path: "ack.transferId",
      });
    }
    if (!download.sender.acknowledge(received)) {
      void this.#pump(download);
      return;
    }
    this.#downloads.delete(transferId);
    try {
      download.onDone();
    } catch (error) {
      // The result may have been released meanwhile (DELETE over HTTP): tell the client why nothing follows.
      this.#channel.send(errorMessage(error, { jobId: download.jobId }));
    }
  }

  /** Stops every transfer of `jobId`; true when there was one. */
  stopJob(jobId: string): boolean {
    let stopped = false;
    for (const [transferId, download] of this.#downloads) {
      if (download.jobId !== jobId) continue;
      download.sender.stop();
      this.#downloads.delete(transferId);
      stopped = true;
    }
    return stopped;
  }

  /** Stops everything (the connection closed). */
  clear(): void {
    for (const download of this.#downloads.values()) download.sender.stop();
    this.#downloads.clear();
  }

  /** Sends a review's crops as one transfer: the PNGs back to back, described by `review-crops`. */
  #sendCrops(jobId: string, crops: readonly ReviewCropImage[], then: () => void): void {
    const bytes = Buffer.concat(crops.map((crop) => crop.png));
    const transferId = this.#channel.takeTransferId();
    const { chunkBytes, window } = this.#context;
    this.#start({ jobId, transferId, byteLength: bytes.byteLength, read: (offset, length) => bytes.subarray(offset, offset + length), onDone: then }, {
      type: "review-crops",
      jobId,
      transferId,
      chunkBytes,
      window,
      byteLength: bytes.byteLength,
      crc32: crc32Hex(nativeCrc32Update(0, bytes)),
      crops: crops.map((crop) => ({
        ...(crop.face !== undefined ? { face: crop.face } : {}),
        region: crop.region,
        width: crop.width,
        height: crop.height,
        byteLength: crop.png.byteLength,
      })),
    });
  }

  #sendResult(jobId: string, result: JobResult, onSent: () => void): void {
    const raw = result.raw;
    if (!raw) return;
    const transferId = this.#channel.takeTransferId();
    const { chunkBytes, window } = this.#context;
    const notes = result.summary.notes;
    this.#start({ jobId, transferId, byteLength: result.size, read: (offset, length) => result.read(offset, length), onDone: onSent }, {
      type: "result",
      jobId,
      transferId,
      chunkBytes,
      window,
      image: imageHeaderOf(raw, result.size, result.summary.crc32),
      provider: result.summary.provider,
      models: [...result.summary.models],
      timings: { ...result.summary.timings },
      ...(this.#channel.features.has("notes") ? { notes: (notes ?? []).map((note) => ({ ...note })) } : {}),
    });
  }

  /** Announces a transfer with its message, then sends its first window of chunks. */
  #start(
    transfer: { jobId: string; transferId: number; byteLength: number; read: (offset: number, length: number) => Uint8Array | Promise<Uint8Array>; onDone: () => void },
    message: DaemonMessage,
  ): void {
    const sender = new ChunkSender({
      transferId: transfer.transferId,
      byteLength: transfer.byteLength,
      chunkBytes: this.#context.chunkBytes,
      window: this.#context.window,
      read: transfer.read,
      send: (frame) => this.#channel.sendFrame(frame),
    });
    const download: Download = { jobId: transfer.jobId, sender, onDone: transfer.onDone };
    this.#downloads.set(transfer.transferId, download);
    this.#channel.send(message);
    void this.#pump(download);
  }

  async #pump(download: Download): Promise<void> {
    try {
      await download.sender.pump();
    } catch (error) {
      this.#downloads.delete(download.sender.transferId);
      this.#channel.send(errorMessage(error, { jobId: download.jobId }));
    }
  }
}

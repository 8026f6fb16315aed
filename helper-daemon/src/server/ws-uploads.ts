/**
 * The uploads one WebSocket connection has in progress: each a {@link ChunkReassembler} with
 * its share of the daemon-wide upload budget and a stall timer. A complete upload becomes its
 * job's input; a bad chunk or a stall ends the job with the reason.
 */
import {
  ChunkReassembler,
  PortraitError,
  decodeChunkFrame,
  type ClientMessage,
  type DaemonMessage,
  type MessageOfType,
} from "@portrait-upscale/shared";
import type { DaemonContext } from "./context";
import { nativeCrc32Update } from "./native-crc";

interface Upload {
  readonly jobId: string;
  /** Gives the upload's bytes back to the daemon-wide budget. */
  readonly release: () => void;
  readonly reassembler: ChunkReassembler;
  readonly submit: MessageOfType<ClientMessage, "submit">;
  /** Fails the upload when no chunk arrives for the stall timeout; refreshed by each chunk. */
  readonly stall: NodeJS.Timeout;
}

/** The uploads of one connection, by transfer id. */
export class Uploads {
  readonly #context: DaemonContext;
  readonly #send: (message: DaemonMessage) => void;
  readonly #uploads = new Map<number, Upload>();

  constructor(context: DaemonContext, send: (message: DaemonMessage) => void) {
    this.#context = context;
    this.#send = send;
  }

  /** Starts receiving the image `submit` announced, for job `jobId`; `release` gives its reservation back. */
  start(transferId: number, jobId: string, release: () => void, submit: MessageOfType<ClientMessage, "submit">): void {
    const reassembler = new ChunkReassembler({
      crc32Update: nativeCrc32Update,
      transferId,
      byteLength: submit.image.byteLength,
      chunkBytes: this.#context.chunkBytes,
      crc32: submit.image.crc32,
    });
    const stall = setTimeout(() => this.#stalled(transferId), this.#context.network.uploadStallMs).unref();
    this.#uploads.set(transferId, { jobId, release, reassembler, submit, stall });
  }

  /** Takes one binary chunk frame: acknowledges it, and hands a complete image to its job. */
  receive(data: Buffer): void {
    const frame = decodeChunkFrame(data);
    const upload = this.#uploads.get(frame.transferId);
    if (!upload) {
      throw new PortraitError("MESSAGE_INVALID", `Expected a transfer id of an upload in progress for chunk.transferId but received ${frame.transferId}`, {
        path: "chunk.transferId",
        transferId: frame.transferId,
      });
    }
    let received: number;
    try {
      received = upload.reassembler.push(frame);
    } catch (error) {
      // The upload cannot be resumed from a bad chunk: end its job and tell the client which.
      this.#end(frame.transferId);
      this.#context.engine.fail(upload.jobId, error);
      return;
    }
    upload.stall.refresh();
    this.#send({ type: "ack", transferId: frame.transferId, received });
    if (!upload.reassembler.complete) return;
    this.#end(frame.transferId);
    const { image, overrides, preset, review, device } = upload.submit;
    this.#context.engine.provideInput(upload.jobId, {
      image: {
        kind: "raw",
        width: image.width,
        height: image.height,
        channels: image.channels as 1 | 2 | 3 | 4,
        bitDepth: image.bitDepth,
        ...(image.colorProfile !== undefined ? { colorProfile: image.colorProfile } : {}),
        ...(image.placement !== undefined ? { placement: image.placement } : {}),
        bytes: upload.reassembler.finish(),
      },
      options: { preset, ...overrides, review, ...(device !== undefined ? { device } : {}) },
      format: "raw",
    });
  }

  /** Forgets the uploads of a job that ended. */
  endJob(jobId: string): void {
    for (const [transferId, upload] of this.#uploads) if (upload.jobId === jobId) this.#end(transferId);
  }

  /** Forgets every upload (the connection closed). */
  clear(): void {
    for (const transferId of [...this.#uploads.keys()]) this.#end(transferId);
  }

  /** Forgets an upload: its stall timer stops and its bytes go back to the budget. */
  #end(transferId: number): void {
    const upload = this.#uploads.get(transferId);
    if (!upload) return;
    this.#uploads.delete(transferId);
    clearTimeout(upload.stall);
    upload.release();
  }

  #stalled(transferId: number): void {
    const upload = this.#uploads.get(transferId);
    if (!upload) return;
    this.#end(transferId);
    const seconds = Math.round(this.#context.network.uploadStallMs / 1000);
    this.#context.engine.fail(upload.jobId, new PortraitError("UPLOAD_STALLED", `No chunk of the upload arrived for ${seconds} s.`, { stallSeconds: seconds }));
  }
}

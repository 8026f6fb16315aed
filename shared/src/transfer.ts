/**
 * The sending half of a chunked transfer, shared by every sender (the daemon's result
 * downloads, clients' uploads): it reads the bytes chunk by chunk, frames them, and keeps at
 * most `window` chunks unacknowledged. The receiving half is {@link ChunkReassembler}.
 * No sockets and no timers: the owner passes `read` and `send` and reports each ack.
 */
import { SendWindow, chunkCount, encodeChunkFrame } from "./frames";

/** Options for {@link ChunkSender}. */
export interface ChunkSenderOptions {
  readonly transferId: number;
  readonly byteLength: number;
  /** The chunk size agreed in `accepted` or `result`. */
  readonly chunkBytes: number;
  /** Chunks that may be unacknowledged at once. */
  readonly window: number;
  /** `length` bytes from `offset` (fewer at the end), from memory or from a file. */
  readonly read: (offset: number, length: number) => Uint8Array | Promise<Uint8Array>;
  /**
   * Sends one binary frame; returning false stops the transfer (the connection is gone). A
   * sender with a small socket buffer (UXP) returns a promise that settles once there is room.
   */
  readonly send: (frame: Uint8Array) => boolean | void | Promise<boolean | void>;
}

/** The upload terms a daemon's `accepted` answer sets. */
export interface UploadTerms {
  readonly transferId: number;
  readonly chunkBytes: number;
  readonly window: number;
}

/**
 * The sender of an upload held in memory, under the terms the daemon `accepted` (a client's
 * submit; the bench and the test client use it as the panel does).
 * @example const sender = uploadSender(accepted, pixels, (frame) => socket.send(frame)); await sender.pump();
 */
export function uploadSender(terms: UploadTerms, bytes: Uint8Array, send: ChunkSenderOptions["send"]): ChunkSender {
  return new ChunkSender({
    transferId: terms.transferId,
    byteLength: bytes.length,
    chunkBytes: terms.chunkBytes,
    window: terms.window,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    send,
  });
}

/**
 * Sends one transfer under the receiver's credit window.
 * @example
 * const sender = new ChunkSender({ transferId, byteLength, chunkBytes, window, read, send });
 * await sender.pump();                          // the first window
 * // on each ack: if (!sender.acknowledge(ack.received)) await sender.pump();
 */
export class ChunkSender {
  readonly transferId: number;
  readonly window: SendWindow;
  readonly #options: ChunkSenderOptions;
  #pumping = false;
  #again = false;
  #stopped = false;
  #sent = 0;

  constructor(options: ChunkSenderOptions) {
    this.#options = options;
    this.transferId = options.transferId;
    this.window = new SendWindow(chunkCount(options.byteLength, options.chunkBytes), options.window);
  }

  /**
   * Sends chunks while the window allows. A call while a read is pending makes the running
   * pump go round once more instead of sending twice. Rejects with what `read` throws.
   */
  async pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        let index: number | undefined;
        while (!this.#stopped && (index = this.window.take()) !== undefined) {
          const { chunkBytes, byteLength, transferId } = this.#options;
          const offset = index * chunkBytes;
          const payload = await this.#options.read(offset, Math.min(chunkBytes, byteLength - offset));
          if (this.#stopped) return;
          const frame = encodeChunkFrame({ transferId, index, count: this.window.count, payload });
          const accepted = await this.#options.send(frame);
          if (accepted === false) this.#stopped = true;
          else this.#sent += 1;
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#pumping = false;
    }
  }

  /** Records the receiver's ack (MESSAGE_INVALID for an impossible one); true once every chunk is acknowledged. */
  acknowledge(received: number): boolean {
    this.window.acknowledge(received);
    return this.window.done;
  }

  /** Bytes of payload handed to `send` so far. */
  get bytesSent(): number {
    return Math.min(this.#options.byteLength, this.#sent * this.#options.chunkBytes);
  }

  /** True once every chunk has been handed to `send` (the bytes are no longer needed). */
  get allSent(): boolean {
    return this.#sent === this.window.count;
  }

  /** True once every chunk is acknowledged. */
  get done(): boolean {
    return this.window.done;
  }

  /** Stops sending; a pump in progress sends nothing more. */
  stop(): void {
    this.#stopped = true;
  }
}

/**
 * The daemon's side of a chunked upload: the same checks as the shared `ChunkReassembler`
 * (transfer, count, order, sizes, CRC-32 of the whole image), but with zlib's native CRC —
 * about ten times faster, which is most of the difference on a 24-megapixel 16-bit image.
 */
import { crc32 as zlibCrc32 } from "node:zlib";
import { chunkCount, crc32Hex, invalidParameter, type ChunkFrame, type ErrorCode } from "@portrait-upscale/shared";

export interface UploadAssemblerOptions {
  readonly transferId: number;
  readonly byteLength: number;
  readonly chunkBytes: number;
  /** The expected CRC-32 as 8 hex digits. */
  readonly crc32: string;
}

export class UploadAssembler {
  readonly transferId: number;
  readonly count: number;
  readonly #options: UploadAssemblerOptions;
  readonly #bytes: Uint8Array;
  #crc = 0;
  #next = 0;

  constructor(options: UploadAssemblerOptions) {
    this.#options = options;
    this.transferId = options.transferId;
    this.count = chunkCount(options.byteLength, options.chunkBytes);
    this.#bytes = new Uint8Array(options.byteLength);
  }

  /** Chunks taken so far: the value to acknowledge. */
  get received(): number {
    return this.#next;
  }

  get complete(): boolean {
    return this.#next === this.count;
  }

  /** Takes the next chunk; MESSAGE_INVALID, MESSAGE_TOO_LARGE or CHECKSUM_MISMATCH as the shared reassembler. */
  push(frame: ChunkFrame): number {
    const { transferId, chunkBytes, byteLength } = this.#options;
    if (frame.transferId !== transferId) throw frameError(`transfer ${transferId}`, "chunk.transferId", frame.transferId);
    if (frame.count !== this.count) throw frameError(`${this.count} chunks (${byteLength} bytes in chunks of ${chunkBytes})`, "chunk.count", frame.count);
    if (frame.index !== this.#next) {
      const why = frame.index < this.#next ? `chunk ${frame.index} was already received` : `chunk ${this.#next} is missing`;
      throw frameError(`chunk ${this.#next} (${why})`, "chunk.index", frame.index);
    }
    const offset = frame.index * chunkBytes;
    const expectedLength = Math.min(chunkBytes, byteLength - offset);
    if (frame.payload.length !== expectedLength) {
      const code: ErrorCode = frame.payload.length > expectedLength ? "MESSAGE_TOO_LARGE" : "MESSAGE_INVALID";
      throw frameError(`${expectedLength} payload bytes`, "chunk.payloadLength", frame.payload.length, code);
    }
    this.#bytes.set(frame.payload, offset);
    this.#crc = zlibCrc32(frame.payload, this.#crc);
    this.#next += 1;
    if (this.complete && crc32Hex(this.#crc) !== this.#options.crc32) {
      const received = crc32Hex(this.#crc);
      throw invalidParameter(`CRC-32 "${this.#options.crc32}"`, "image.crc32", received, "CHECKSUM_MISMATCH", { path: "image.crc32", transferId, received });
    }
    return this.#next;
  }

  /** The image's bytes, once complete. */
  finish(): Uint8Array {
    if (!this.complete) throw frameError(`${this.count} chunks`, `transfer ${this.transferId}`, `${this.#next} chunks`);
    return this.#bytes;
  }
}

function frameError(expected: string, path: string, received: unknown, code: ErrorCode = "MESSAGE_INVALID"): Error {
  return invalidParameter(expected, path, received, code, { path });
}

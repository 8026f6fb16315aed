/**
 * Binary WebSocket frames carrying image bytes in chunks, and the flow control that paces them.
 *
 * A UXP socket closes itself when its send buffer fills, and `ws` refuses messages over
 * 100 MiB, so an image never travels as one message: it is cut into chunks of at most
 * {@link MAX_CHUNK_BYTES}, each sent as one binary frame with a fixed 24-byte header
 * (all integers little-endian):
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 4 | magic, ASCII "PUCK" |
 * | 4 | 2 | frame format version (1) |
 * | 6 | 2 | header length in bytes (24) |
 * | 8 | 4 | transfer id (from `accepted` or `result`) |
 * | 12 | 4 | chunk index, from 0 |
 * | 16 | 4 | chunk count of the whole transfer |
 * | 20 | 4 | payload length |
 * | 24 | n | payload |
 *
 * Chunk `i` holds image bytes `[i × chunkBytes, min((i + 1) × chunkBytes, byteLength))`, so every
 * chunk but the last is exactly `chunkBytes` long. Chunks travel in order. The receiver
 * acknowledges with `{type: "ack", transferId, received}` and the sender keeps at most
 * `window` chunks unacknowledged ({@link SendWindow}). The CRC-32 in the image header covers
 * the whole image and is checked once all chunks are in ({@link ChunkReassembler}).
 *
 * Everything here is pure: no sockets, no timers.
 */
import { type ErrorCode, PortraitError, invalidParameter } from "./errors";
import { crc32Hex, crc32Update } from "./crc32";

/** Largest payload of one chunk frame. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** The chunk size the daemon proposes unless configured otherwise. */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;
/** Chunks a sender may have unacknowledged unless the receiver says otherwise (4 MiB at 512 KiB). */
export const DEFAULT_WINDOW = 8;
export const CHUNK_FRAME_VERSION = 1;
export const CHUNK_HEADER_BYTES = 24;
/** "PUCK" read as a little-endian uint32. */
const MAGIC = 0x4b435550;
const MAGIC_TEXT = "PUCK";

/** One decoded chunk frame. `payload` is a view into the frame, not a copy. */
export interface ChunkFrame {
  readonly transferId: number;
  readonly index: number;
  readonly count: number;
  readonly payload: Uint8Array;
}

/** How many chunks of `chunkBytes` carry `byteLength` bytes. */
export function chunkCount(byteLength: number, chunkBytes: number): number {
  return Math.ceil(byteLength / chunkBytes);
}

/** Encodes one chunk frame (header and payload in one new buffer). */
export function encodeChunkFrame(frame: ChunkFrame): Uint8Array {
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES + frame.payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, CHUNK_FRAME_VERSION, true);
  view.setUint16(6, CHUNK_HEADER_BYTES, true);
  view.setUint32(8, frame.transferId, true);
  view.setUint32(12, frame.index, true);
  view.setUint32(16, frame.count, true);
  view.setUint32(20, frame.payload.length, true);
  bytes.set(frame.payload, CHUNK_HEADER_BYTES);
  return bytes;
}

/**
 * Encodes chunk `index` of `data` for a transfer cut into chunks of `chunkBytes`.
 * @example for (let i = 0; i < chunkCount(data.length, 512 * 1024); i++) socket.send(chunkFrameOf(7, data, 512 * 1024, i));
 */
export function chunkFrameOf(transferId: number, data: Uint8Array, chunkBytes: number, index: number): Uint8Array {
  const start = index * chunkBytes;
  return encodeChunkFrame({
    transferId,
    index,
    count: chunkCount(data.length, chunkBytes),
    payload: data.subarray(start, Math.min(start + chunkBytes, data.length)),
  });
}

/**
 * Decodes a binary frame, checking its header. Throws MESSAGE_INVALID for a malformed frame
 * and MESSAGE_TOO_LARGE for a payload over {@link MAX_CHUNK_BYTES}.
 */
export function decodeChunkFrame(data: ArrayBuffer | ArrayBufferView): ChunkFrame {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < CHUNK_HEADER_BYTES) {
    throw frameError(`at least ${CHUNK_HEADER_BYTES} bytes`, "chunk.byteLength", bytes.length);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) {
    throw frameError(`the magic "${MAGIC_TEXT}"`, "chunk.magic", asciiOrHex(bytes.subarray(0, 4)));
  }
  const version = view.getUint16(4, true);
  if (version !== CHUNK_FRAME_VERSION) throw frameError(String(CHUNK_FRAME_VERSION), "chunk.version", version);
  const headerBytes = view.getUint16(6, true);
  if (headerBytes !== CHUNK_HEADER_BYTES) throw frameError(String(CHUNK_HEADER_BYTES), "chunk.headerBytes", headerBytes);
  const transferId = view.getUint32(8, true);
  const index = view.getUint32(12, true);
  const count = view.getUint32(16, true);
  const payloadLength = view.getUint32(20, true);
  if (transferId === 0) throw frameError("a transfer id of at least 1", "chunk.transferId", transferId);
  if (count === 0) throw frameError("a chunk count of at least 1", "chunk.count", count);
  if (index >= count) throw frameError(`an index below the chunk count ${count}`, "chunk.index", index);
  if (payloadLength > MAX_CHUNK_BYTES) {
    throw frameError(`at most ${MAX_CHUNK_BYTES} payload bytes`, "chunk.payloadLength", payloadLength, "MESSAGE_TOO_LARGE");
  }
  if (bytes.length !== CHUNK_HEADER_BYTES + payloadLength) {
    throw frameError(`${CHUNK_HEADER_BYTES + payloadLength} bytes (header and payload)`, "chunk.byteLength", bytes.length);
  }
  return { transferId, index, count, payload: bytes.subarray(CHUNK_HEADER_BYTES) };
}

/**
 * Continues a CRC-32/IEEE over more bytes (start from 0), as {@link crc32Update} does. A
 * receiver with a native CRC passes its own (the daemon: zlib's, about ten times faster).
 */
export type Crc32Update = (crc: number, bytes: Uint8Array) => number;

/** Options for {@link ChunkReassembler}. */
export interface ReassemblerOptions {
  readonly transferId: number;
  /** The image's byte length, from its header. */
  readonly byteLength: number;
  /** The chunk size agreed in `accepted` or `result`. */
  readonly chunkBytes: number;
  /** The expected CRC-32, as 8 hex digits (the header's `crc32`). */
  readonly crc32: string;
  /** The CRC function; the pure-TypeScript {@link crc32Update} by default (it runs in UXP too). */
  readonly crc32Update?: Crc32Update;
}

/**
 * Collects the chunks of one transfer into the image's bytes, checking order, sizes and the
 * CRC-32. Push every frame of the transfer; `received` is what to acknowledge.
 */
export class ChunkReassembler {
  readonly transferId: number;
  readonly count: number;
  private readonly options: ReassemblerOptions;
  private readonly bytes: Uint8Array;
  private readonly crcUpdate: Crc32Update;
  private crc = 0;
  private next = 0;

  constructor(options: ReassemblerOptions) {
    if (!Number.isSafeInteger(options.chunkBytes) || options.chunkBytes < 1 || options.chunkBytes > MAX_CHUNK_BYTES) {
      throw invalidParameter(`an integer from 1 to ${MAX_CHUNK_BYTES}`, "chunkBytes", options.chunkBytes);
    }
    this.options = options;
    this.crcUpdate = options.crc32Update ?? crc32Update;
    this.transferId = options.transferId;
    this.count = chunkCount(options.byteLength, options.chunkBytes);
    this.bytes = new Uint8Array(options.byteLength);
  }

  /** Chunks received so far: the value to send in `ack.received`. */
  get received(): number {
    return this.next;
  }

  /** True once every chunk is in (the checksum has then been verified). */
  get complete(): boolean {
    return this.next === this.count;
  }

  /**
   * Takes the next chunk. Throws MESSAGE_INVALID for a chunk of another transfer, out of order,
   * duplicated or short; MESSAGE_TOO_LARGE for one longer than agreed; CHECKSUM_MISMATCH when the
   * last chunk completes an image whose CRC-32 differs from the header's.
   */
  push(frame: ChunkFrame): number {
    const { transferId, chunkBytes, byteLength } = this.options;
    if (frame.transferId !== transferId) throw frameError(`transfer ${transferId}`, "chunk.transferId", frame.transferId);
    if (frame.count !== this.count) {
      throw frameError(`${this.count} chunks (${byteLength} bytes in chunks of ${chunkBytes})`, "chunk.count", frame.count, "MESSAGE_INVALID", transferId);
    }
    if (frame.index !== this.next) {
      const why = frame.index < this.next ? `chunk ${frame.index} was already received` : `chunk ${this.next} is missing`;
      throw frameError(`chunk ${this.next} (${why})`, "chunk.index", frame.index, "MESSAGE_INVALID", transferId);
    }
    const offset = frame.index * chunkBytes;
    const expectedLength = Math.min(chunkBytes, byteLength - offset);
    if (frame.payload.length !== expectedLength) {
      const code: ErrorCode = frame.payload.length > expectedLength ? "MESSAGE_TOO_LARGE" : "MESSAGE_INVALID";
      throw frameError(`${expectedLength} payload bytes`, `chunk.payloadLength`, frame.payload.length, code, transferId);
    }
    this.bytes.set(frame.payload, offset);
    this.crc = this.crcUpdate(this.crc, frame.payload) >>> 0;
    this.next++;
    if (this.complete && crc32Hex(this.crc) !== this.options.crc32) {
      const received = crc32Hex(this.crc);
      throw invalidParameter(`CRC-32 "${this.options.crc32}"`, "image.crc32", received, "CHECKSUM_MISMATCH", {
        path: "image.crc32",
        transferId,
        received,
      });
    }
    return this.next;
  }

  /** The image's bytes. Throws MESSAGE_INVALID while chunks are still missing. */
  finish(): Uint8Array {
    if (!this.complete) {
      throw frameError(`${this.count} chunks`, `transfer ${this.transferId}`, this.next, "MESSAGE_INVALID", this.transferId);
    }
    return this.bytes;
  }
}

/**
 * The sender's side of the credit window: which chunk may go next, given the receiver's acks.
 * @example
 * const window = new SendWindow(count, accepted.window);
 * let i; while ((i = window.take()) !== undefined) socket.send(chunkFrameOf(id, data, size, i));
 * // on each ack: window.acknowledge(ack.received), then send again
 */
export class SendWindow {
  readonly count: number;
  readonly window: number;
  private sent = 0;
  private acknowledged = 0;

  constructor(count: number, window: number) {
    if (!Number.isSafeInteger(window) || window < 1) throw invalidParameter("an integer of at least 1", "window", window);
    this.count = count;
    this.window = window;
  }

  /** The index of the next chunk to send now, or undefined when the window is full or all are sent. */
  take(): number | undefined {
    if (this.sent >= this.count || this.sent >= this.acknowledged + this.window) return undefined;
    return this.sent++;
  }

  /** Records an ack. Throws MESSAGE_INVALID for one that goes backwards or beyond what was sent. */
  acknowledge(received: number): void {
    if (!Number.isSafeInteger(received) || received < this.acknowledged || received > this.sent) {
      throw invalidParameter(`a count from ${this.acknowledged} to ${this.sent}`, "ack.received", received, "MESSAGE_INVALID", {
        path: "ack.received",
      });
    }
    this.acknowledged = received;
  }

  /** True once the receiver has acknowledged every chunk. */
  get done(): boolean {
    return this.acknowledged === this.count;
  }

  /** Chunks sent and not yet acknowledged. */
  get inFlight(): number {
    return this.sent - this.acknowledged;
  }
}

function frameError(
  expected: string,
  path: string,
  received: unknown,
  code: ErrorCode = "MESSAGE_INVALID",
  transferId?: number,
): PortraitError {
  return invalidParameter(expected, path, received, code, transferId === undefined ? { path } : { path, transferId });
}

function asciiOrHex(bytes: Uint8Array): string {
  const printable = Array.from(bytes).every((byte) => byte >= 0x20 && byte < 0x7f);
  return printable ? String.fromCharCode(...bytes) : Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

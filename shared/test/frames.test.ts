import { describe, expect, it } from "vitest";
import { failure } from "./failure";
import { crc32, crc32Hex, crc32Update as crc32Update_ } from "../src/crc32";
import {
  CHUNK_HEADER_BYTES,
  ChunkReassembler,
  MAX_CHUNK_BYTES,
  SendWindow,
  chunkCount,
  chunkFrameOf,
  decodeChunkFrame,
  encodeChunkFrame,
} from "../src/frames";

const image = new Uint8Array(2500).map((_, i) => (i * 31 + 7) & 0xff);
const chunkBytes = 1000;
const frames = Array.from({ length: chunkCount(image.length, chunkBytes) }, (_, i) => decodeChunkFrame(chunkFrameOf(9, image, chunkBytes, i)));
const reassembler = (crc = crc32Hex(crc32(image))) => new ChunkReassembler({ transferId: 9, byteLength: image.length, chunkBytes, crc32: crc });

describe("chunk frames", () => {
  it("encode a fixed little-endian header before the payload", () => {
    const bytes = encodeChunkFrame({ transferId: 0x01020304, index: 2, count: 3, payload: new Uint8Array([0xaa, 0xbb]) });
    expect(Array.from(bytes)).toEqual([
      0x50, 0x55, 0x43, 0x4b, 1, 0, 24, 0, 4, 3, 2, 1, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0xaa, 0xbb,
    ]);
  });

  it("round-trip through ArrayBuffers and offset views", () => {
    const encoded = chunkFrameOf(7, image, chunkBytes, 2);
    const inside = new Uint8Array(encoded.length + 5);
    inside.set(encoded, 5);
    for (const source of [encoded.slice().buffer, inside.subarray(5)]) {
      const frame = decodeChunkFrame(source);
      expect(frame).toMatchObject({ transferId: 7, index: 2, count: 3 });
      expect(Array.from(frame.payload)).toEqual(Array.from(image.subarray(2000)));
    }
  });

  it("cut an image into equal chunks and a shorter last one", () => {
    expect(frames.map((frame) => frame.payload.length)).toEqual([1000, 1000, 500]);
    expect(chunkCount(2000, 1000)).toBe(2);
    expect(chunkCount(1, MAX_CHUNK_BYTES)).toBe(1);
  });

  it.each([
    ["short", new Uint8Array(10), "MESSAGE_INVALID", 'Expected at least 24 bytes for chunk.byteLength but received 10 of type number'],
    ["bad magic", (() => { const b = chunkFrameOf(1, image, 10, 0); b.set([0x50, 0x4e, 0x47, 0x0d]); return b; })(), "MESSAGE_INVALID", 'Expected the magic "PUCK" for chunk.magic but received "50 4e 47 0d" of type string'],
    ["version", (() => { const b = chunkFrameOf(1, image, 10, 0); b[4] = 2; return b; })(), "MESSAGE_INVALID", "Expected 1 for chunk.version but received 2 of type number"],
    ["transfer 0", encodeChunkFrame({ transferId: 0, index: 0, count: 1, payload: new Uint8Array(1) }), "MESSAGE_INVALID", "Expected a transfer id of at least 1 for chunk.transferId but received 0 of type number"],
    ["index past count", encodeChunkFrame({ transferId: 1, index: 3, count: 3, payload: new Uint8Array(1) }), "MESSAGE_INVALID", "Expected an index below the chunk count 3 for chunk.index but received 3 of type number"],
    ["truncated payload", chunkFrameOf(1, image, 100, 0).subarray(0, CHUNK_HEADER_BYTES + 50), "MESSAGE_INVALID", 'Expected 124 bytes (header and payload) for chunk.byteLength but received 74 of type number'],
    ["oversized payload", (() => { const b = encodeChunkFrame({ transferId: 1, index: 0, count: 1, payload: new Uint8Array(1) }); new DataView(b.buffer).setUint32(20, MAX_CHUNK_BYTES + 1, true); return b; })(), "MESSAGE_TOO_LARGE", `Expected at most ${MAX_CHUNK_BYTES} payload bytes for chunk.payloadLength but received ${MAX_CHUNK_BYTES + 1} of type number`],
  ])("refuse a malformed frame: %s", (_, bytes, code, message) => {
    const error = failure(() => decodeChunkFrame(bytes));
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });
});

describe("ChunkReassembler", () => {
  it("rebuilds the image and acknowledges each chunk", () => {
    const r = reassembler();
    expect(frames.map((frame) => r.push(frame))).toEqual([1, 2, 3]);
    expect(r.complete).toBe(true);
    expect(r.finish()).toEqual(image);
  });

  it("refuses a chunk out of order", () => {
    const r = reassembler();
    r.push(frames[0]);
    const error = failure(() => r.push(frames[2]));
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toBe("Expected chunk 1 (chunk 1 is missing) for chunk.index but received 2 of type number");
    expect(error.data).toMatchObject({ path: "chunk.index", transferId: 9 });
  });

  it("refuses a duplicate chunk", () => {
    const r = reassembler();
    r.push(frames[0]);
    r.push(frames[1]);
    expect(failure(() => r.push(frames[1])).message).toBe(
      "Expected chunk 2 (chunk 1 was already received) for chunk.index but received 1 of type number",
    );
  });

  it("refuses to finish with chunks missing", () => {
    const r = reassembler();
    r.push(frames[0]);
    const error = failure(() => r.finish());
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toBe('Expected 3 chunks for transfer 9 but received 1 of type number');
  });

  it("reports a damaged image as CHECKSUM_MISMATCH", () => {
    const r = reassembler("cbf43926");
    r.push(frames[0]);
    r.push(frames[1]);
    const actual = crc32Hex(crc32(image));
    const error = failure(() => r.push(frames[2]));
    expect(error.code).toBe("CHECKSUM_MISMATCH");
    expect(error.message).toBe(`Expected CRC-32 "cbf43926" for image.crc32 but received "${actual}" of type string`);
    expect(error.data).toMatchObject({ path: "image.crc32", transferId: 9, received: actual });
  });

  it("uses an injected CRC function for every chunk, in order", () => {
    const seen: number[] = [];
    // A stand-in that records what it is fed and reproduces the real CRC.
    const crc32Update = (crc: number, bytes: Uint8Array) => {
      seen.push(bytes.length);
      return crc32Update_(crc, bytes);
    };
    const r = new ChunkReassembler({ transferId: 9, byteLength: image.length, chunkBytes, crc32: crc32Hex(crc32(image)), crc32Update });
    for (const frame of frames) r.push(frame);
    expect(seen).toEqual([1000, 1000, 500]);
    expect(r.finish()).toEqual(image);
  });

  it("reports CHECKSUM_MISMATCH from what an injected CRC function computes", () => {
    const r = new ChunkReassembler({ transferId: 9, byteLength: image.length, chunkBytes, crc32: crc32Hex(crc32(image)), crc32Update: () => 0xdeadbeef });
    r.push(frames[0]);
    r.push(frames[1]);
    const error = failure(() => r.push(frames[2]));
    expect(error.code).toBe("CHECKSUM_MISMATCH");
    expect(error.data).toMatchObject({ path: "image.crc32", transferId: 9, received: "deadbeef" });
  });

  it("refuses a chunk of another transfer, a wrong count, or a wrong size", () => {
    const r = reassembler();
    const other = decodeChunkFrame(chunkFrameOf(10, image, chunkBytes, 0));
    expect(failure(() => r.push(other)).message).toBe("Expected transfer 9 for chunk.transferId but received 10 of type number");
    const recut = decodeChunkFrame(chunkFrameOf(9, image, 500, 0));
    expect(failure(() => r.push(recut)).message).toBe(
      "Expected 3 chunks (2500 bytes in chunks of 1000) for chunk.count but received 5 of type number",
    );
    const long = decodeChunkFrame(encodeChunkFrame({ transferId: 9, index: 0, count: 3, payload: new Uint8Array(1001) }));
    const tooLarge = failure(() => r.push(long));
    expect(tooLarge.code).toBe("MESSAGE_TOO_LARGE");
    expect(tooLarge.message).toBe("Expected 1000 payload bytes for chunk.payloadLength but received 1001 of type number");
    const short = decodeChunkFrame(encodeChunkFrame({ transferId: 9, index: 0, count: 3, payload: new Uint8Array(999) }));
    expect(failure(() => r.push(short)).code).toBe("MESSAGE_INVALID");
    expect(r.received).toBe(0);
  });
});

describe("SendWindow", () => {
  it("keeps at most `window` chunks unacknowledged", () => {
    const w = new SendWindow(5, 2);
    expect([w.take(), w.take(), w.take()]).toEqual([0, 1, undefined]);
    expect(w.inFlight).toBe(2);
    w.acknowledge(1);
    expect([w.take(), w.take()]).toEqual([2, undefined]);
    w.acknowledge(3);
    expect([w.take(), w.take(), w.take()]).toEqual([3, 4, undefined]);
    expect(w.done).toBe(false);
    w.acknowledge(5);
    expect(w.done).toBe(true);
    expect(w.take()).toBeUndefined();
  });

  it("drives a reassembler end to end", () => {
    const r = reassembler();
    const w = new SendWindow(frames.length, 1);
    for (let i = w.take(); i !== undefined; i = w.take()) w.acknowledge(r.push(decodeChunkFrame(chunkFrameOf(9, image, chunkBytes, i))));
    expect(w.done).toBe(true);
    expect(r.finish()).toEqual(image);
  });

  it("refuses acks that go backwards or ahead of what was sent", () => {
    const w = new SendWindow(5, 3);
    w.take();
    w.take();
    const error = failure(() => w.acknowledge(3));
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toBe("Expected a count from 0 to 2 for ack.received but received 3 of type number");
    w.acknowledge(2);
    expect(failure(() => w.acknowledge(1)).message).toBe("Expected a count from 2 to 2 for ack.received but received 1 of type number");
  });
});

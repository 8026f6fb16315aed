import { describe, expect, it } from "vitest";
import { ChunkReassembler, ChunkSender, crc32, crc32Hex, decodeChunkFrame } from "../src/index";

function bytesOf(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

describe("ChunkSender with ChunkReassembler", () => {
  for (const [byteLength, chunkBytes, window] of [
    [1, 4, 1],
    [100, 10, 3],
    [101, 10, 3],
    [4096, 1024, 8],
    [5000, 7, 2],
  ] as const) {
    it(`moves ${byteLength} bytes in chunks of ${chunkBytes} under a window of ${window}`, async () => {
      const data = bytesOf(byteLength);
      const frames: Uint8Array[] = [];
      const sender = new ChunkSender({ transferId: 9, byteLength, chunkBytes, window, read: (offset, length) => data.subarray(offset, offset + length), send: (frame) => void frames.push(frame) });
      const receiver = new ChunkReassembler({ transferId: 9, byteLength, chunkBytes, crc32: crc32Hex(crc32(data)) });
      await sender.pump();
      let rounds = 0;
      while (!sender.done) {
        expect(frames.length).toBeLessThanOrEqual(window);
        let received = 0;
        for (const frame of frames.splice(0)) received = receiver.push(decodeChunkFrame(frame));
        if (!sender.acknowledge(received)) await sender.pump();
        rounds += 1;
      }
      expect(rounds).toBe(Math.ceil(Math.ceil(byteLength / chunkBytes) / window));
      expect(receiver.finish()).toEqual(data);
    });
  }

  it("sends each chunk once when pumped again while a read is pending", async () => {
    const data = bytesOf(64);
    const sent: number[] = [];
    let release: () => void = () => undefined;
    const sender = new ChunkSender({
      transferId: 1,
      byteLength: 64,
      chunkBytes: 16,
      window: 2,
      read: (offset, length) => new Promise((resolve) => (release = () => resolve(data.subarray(offset, offset + length)))),
      send: (frame) => void sent.push(decodeChunkFrame(frame).index),
    });
    const first = sender.pump();
    const second = sender.pump();
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await Promise.all([first, second]);
    expect(sent).toEqual([0, 1]);
  });

  it("stops when asked or when the connection refuses a frame", async () => {
    const data = bytesOf(64);
    let sent = 0;
    const refusing = new ChunkSender({ transferId: 1, byteLength: 64, chunkBytes: 8, window: 8, read: (offset, length) => data.subarray(offset, offset + length), send: () => (sent += 1) < 3 });
    await refusing.pump();
    expect(sent).toBe(3);
    const stopped: ChunkSender = new ChunkSender({ transferId: 1, byteLength: 64, chunkBytes: 8, window: 8, read: (offset, length) => data.subarray(offset, offset + length), send: (): void => stopped.stop() });
    await stopped.pump();
    expect(stopped.window.inFlight).toBe(1);
  });

  it("refuses an impossible ack with MESSAGE_INVALID", async () => {
    const sender = new ChunkSender({ transferId: 1, byteLength: 10, chunkBytes: 5, window: 1, read: () => new Uint8Array(5), send: () => undefined });
    await sender.pump();
    expect(() => sender.acknowledge(2)).toThrow(expect.objectContaining({ code: "MESSAGE_INVALID" }));
  });
});

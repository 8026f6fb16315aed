/**
 * The client's side of chunked transfers against a scripted daemon: the upload never runs
 * ahead of the credit window, waits while the socket's buffer is full, lets go of the pixels
 * once sent; a damaged download is refused by its CRC and the job cancelled on the daemon.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { chunkFrameOf, crc32, crc32Hex, decodeChunkFrame, encodeMessage, type DaemonMessage } from "@portrait-upscale/shared";
import { PanelError } from "../panel-errors";
import { DaemonConnection } from "./daemon-client";
import type { SocketFactory, SocketLike } from "./socket";

const welcome = JSON.parse(readFileSync(new URL("../../../shared/fixtures/protocol/daemon.welcome.json", import.meta.url), "utf8")) as DaemonMessage;

interface Script {
  /** Chunks the daemon has taken in, and the most ever unacknowledged. */
  received: Buffer[];
  maxOutstanding: number;
  cancels: string[];
  acks: number[];
}

let server: WebSocketServer | undefined;
afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A daemon that acks uploads two chunks late, then sends a result (damaged if asked). */
async function scriptedDaemon(options: { chunkBytes: number; window: number; result: Uint8Array; damage: boolean }): Promise<{ port: number; script: Script }> {
  const script: Script = { received: [], maxOutstanding: 0, cancels: [], acks: [] };
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => server!.once("listening", resolve));
  server.on("connection", (socket) => {
    let count = 0;
    let acked = 0;
    const send = (message: DaemonMessage): void => socket.send(encodeMessage(message));
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        const frame = decodeChunkFrame(data as Buffer);
        script.received.push(Buffer.from(frame.payload));
        script.maxOutstanding = Math.max(script.maxOutstanding, script.received.length - acked);
        // Ack only when the window is full or at the end, to make the client wait.
        if (script.received.length - acked >= options.window || script.received.length === count) {
          acked = script.received.length;
          setTimeout(() => send({ type: "ack", transferId: 1, received: acked }), 5);
        }
        if (script.received.length === count) {
          const crc = crc32Hex(crc32(options.result) ^ (options.damage ? 1 : 0));
          send({
            type: "result",
            jobId: "j_test",
            transferId: 2,
            chunkBytes: options.chunkBytes,
            window: options.window,
            image: { width: options.result.length / 3, height: 1, channels: 3, bitDepth: 8, byteLength: options.result.length, crc32: crc },
            provider: "cpu",
            models: ["test"],
            timings: { totalMs: 1, inferenceMs: 1 },
          });
          const chunks = Math.ceil(options.result.length / options.chunkBytes);
          for (let i = 0; i < chunks; i++) socket.send(chunkFrameOf(2, options.result, options.chunkBytes, i));
        }
        return;
      }
      const message = JSON.parse(String(data)) as { type: string; requestId?: string; image?: { byteLength: number }; jobId?: string; received?: number };
      if (message.type === "hello") send(welcome);
      if (message.type === "submit") {
        count = Math.ceil(message.image!.byteLength / options.chunkBytes);
        send({ type: "accepted", requestId: message.requestId!, jobId: "j_test", transferId: 1, chunkBytes: options.chunkBytes, window: options.window });
      }
      if (message.type === "ack") script.acks.push(message.received!);
      if (message.type === "cancel") script.cancels.push(message.jobId!);
    });
  });
  return { port: (server.address() as AddressInfo).port, script };
}

/** A `ws` socket whose bufferedAmount reads as full for the first few looks, like a busy UXP socket. */
function busySockets(busyLooks: { count: number }): SocketFactory {
  return (url) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    return new Proxy(socket, {
      get(target, key) {
        if (key === "bufferedAmount") return busyLooks.count-- > 0 ? 1 << 30 : target.bufferedAmount;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
      set(target, key, value) {
        return Reflect.set(target, key, value, target);
      },
    }) as unknown as SocketLike;
  };
}

function pixels(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);
}

describe("chunked transfers", () => {
  it("keeps the upload within the credit window, waits for a full socket buffer, and reassembles the result", async () => {
    const result = pixels(3 * 700);
    const { port, script } = await scriptedDaemon({ chunkBytes: 100, window: 3, result, damage: false });
    const busy = { count: 5 };
    const connection = await DaemonConnection.open(busySockets(busy), { host: "127.0.0.1", port });
    await connection.hello("t".repeat(43));
    const input = pixels(3 * 345);
    const request = { preset: "portrait-natural", overrides: {}, review: false, width: 345, height: 1, channels: 3 as const, bitDepth: 8 as const, bytes: input };
    const outcome = await connection.runJob(request).outcome;
    expect(busy.count).toBeLessThan(0);
    expect(script.received).toHaveLength(11);
    expect(script.maxOutstanding).toBe(3);
    expect(Buffer.concat(script.received).equals(Buffer.from(input))).toBe(true);
    expect(Buffer.from(outcome.bytes).equals(Buffer.from(result))).toBe(true);
    // Acks at least every window / 2 chunks (here: every chunk), the last one included.
    for (let i = 0; i < 100 && script.acks.length < 21; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(script.acks).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    connection.close();
  });

  it("refuses a damaged result by its CRC-32 and cancels the job on the daemon", async () => {
    const { port, script } = await scriptedDaemon({ chunkBytes: 64, window: 4, result: pixels(3 * 100), damage: true });
    const connection = await DaemonConnection.open(busySockets({ count: 0 }), { host: "127.0.0.1", port });
    await connection.hello("t".repeat(43));
    const handle = connection.runJob({ preset: "portrait-natural", overrides: {}, review: false, width: 10, height: 1, channels: 3, bitDepth: 8, bytes: pixels(30) });
    const error = await handle.outcome.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PanelError);
    expect((error as PanelError).code).toBe("CHECKSUM_MISMATCH");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(script.cancels).toEqual(["j_test"]);
    connection.close();
  });
});

/**
 * Fuzzing the daemon with a seeded generator: malformed, truncated, oversized and
 * out-of-order WebSocket messages and HTTP requests. Afterwards the daemon must answer
 * health, run a normal job, and have left no files behind.
 */
import { connect as tcpConnect } from "node:net";
import { describe, expect, it } from "vitest";
import { CHUNK_HEADER_BYTES, PROTOCOL_VERSION, chunkFrameOf, encodeChunkFrame } from "@portrait-upscale/shared";
import { upscaleNearest } from "../../src/jobs/fake-runner";
import { daemonPerTest } from "../support/daemon-per-test";
import { crcOf, seededRandom, testImage, waitFor, type TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const startDaemon = daemonPerTest();

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, max: number): number => Math.floor(random() * max);

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) bytes[i] = int(random, 256);
  return bytes;
}

function randomValue(random: Random, depth = 0): unknown {
  switch (int(random, depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(random, [0, -1, 1, 2 ** 31, 2 ** 53, 1e308, -0.5, 0.5, 7421, 4294967296]);
    case 3:
      return pick(random, ["", "j_", "j_x", "hello", "submit", "x".repeat(300), "123-456", "\u0000", "💥"]);
    case 4:
      return Number.NaN;
    case 5:
      return pick(random, ["portrait-natural", "studio-locked", "../../etc/passwd", "ffffffff"]);
    case 6:
      return Array.from({ length: int(random, 4) }, () => randomValue(random, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = int(random, 4); i > 0; i -= 1) object[pick(random, ["type", "jobId", "transferId", "received", "image", "width", "code", "token", "x"])] = randomValue(random, depth + 1);
      return object;
    }
  }
}

const TYPES = ["hello", "pair", "submit", "ack", "cancel", "fetch-result", "ping", "welcome", "result", "bogus"];

/** A message that is close to valid: a real type with some fields right and some wrong. */
function nearlyValid(random: Random, token: string, transferIds: number[], jobIds: string[]): unknown {
  const type = pick(random, TYPES);
  const base: Record<string, unknown> = { type };
  const image = { width: 1 + int(random, 64), height: 1 + int(random, 64), channels: 1 + int(random, 4), bitDepth: pick(random, [8, 16, 12]) };
  const byteLength = image.width * image.height * image.channels * ((image.bitDepth as number) / 8);
  const fields: Record<string, unknown> = {
    protocol: pick(random, [PROTOCOL_VERSION, PROTOCOL_VERSION, 0, 2, "1"]),
    client: pick(random, [{ name: "fuzz", version: "1" }, {}, "fuzz"]),
    token: pick(random, [token, token, "short", undefined]),
    code: pick(random, ["000-000", "123-45", 123456]),
    requestId: pick(random, ["r1", "", "bad id", "r".repeat(70)]),
    preset: pick(random, ["portrait-natural", "no-such-preset", "studio-locked", "UPPER"]),
    overrides: pick(random, [{}, { scale: 2 }, { scale: 5 }, { creativity: 2 }, { model: "x4fast" }, { extra: 1 }, null]),
    review: pick(random, [false, true, "yes"]),
    keep: pick(random, [undefined, true, false, 1]),
    image: pick(random, [
      { ...image, byteLength, crc32: "00000000" },
      { ...image, byteLength: byteLength + 1, crc32: "00000000" },
      { ...image, byteLength, crc32: "XYZ" },
      { ...image, width: 1_000_000, height: 1_000_000, byteLength: 1, crc32: "00000000" },
      {},
    ]),
    transferId: pick(random, [...transferIds, 0, 1, 2 ** 32, -1]),
    received: pick(random, [0, 1, 2, 99, -1]),
    jobId: pick(random, [...jobIds, "j_unknown", "nope"]),
  };
  for (const [key, value] of Object.entries(fields)) if (random() < 0.7 && value !== undefined) base[key] = value;
  if (random() < 0.2) base[pick(random, ["surprise", "__proto__", "constructor"])] = randomValue(random);
  return base;
}

/** A binary frame: random, truncated, wrong magic, unknown transfer, out of order, or too long. */
function badFrame(random: Random, transferIds: number[]): Uint8Array {
  const transferId = transferIds.length > 0 && random() < 0.6 ? pick(random, transferIds) : 1 + int(random, 50);
  const payload = randomBytes(random, int(random, 64));
  const frame = encodeChunkFrame({ transferId, index: int(random, 3), count: 1 + int(random, 3), payload });
  switch (int(random, 6)) {
    case 0:
      return randomBytes(random, int(random, 40));
    case 1:
      return frame.subarray(0, int(random, CHUNK_HEADER_BYTES));
    case 2: {
      const copy = frame.slice();
      copy[0] ^= 0xff;
      return copy;
    }
    case 3: {
      const copy = frame.slice();
      new DataView(copy.buffer).setUint32(20, payload.length + 5, true);
      return copy;
    }
    case 4:
      return chunkFrameOf(transferId, randomBytes(random, 100), 10, int(random, 10));
    default:
      return frame;
  }
}

async function freshClient(d: TestDaemon): Promise<TestWsClient> {
  return TestWsClient.connect(d);
}

describe("fuzzing the daemon", () => {
  it("survives 1,500 malformed, truncated, oversized and out-of-order messages", async () => {
    const daemon = await startDaemon({
      fake: { tiles: 2 },
      config: { limits: { maxInputPixels: 100_000, maxMessageBytes: 256 * 1024, maxJobsPerClient: 3 }, resultSpillBytes: 0 },
    });
    const random = seededRandom(20261121);
    let sent = 0;
    let reconnects = 0;
    let client = await freshClient(daemon);
    const transferIds: number[] = [];
    const jobIds: string[] = [];
    const deadline = Date.now() + 60_000;
    while (sent < 1500 && Date.now() < deadline) {
      if (client.closed) {
        client = await freshClient(daemon);
        reconnects += 1;
      }
      for (let i = 0; i < 25 && !client.closed; i += 1, sent += 1) {
        const kind = random();
        try {
          if (kind < 0.15) client.socket.send(Buffer.from(randomBytes(random, int(random, 200))).toString("latin1"));
          else if (kind < 0.25) client.send(randomValue(random));
          else if (kind < 0.6) client.send(nearlyValid(random, daemon.token, transferIds, jobIds));
          else if (kind < 0.85) client.sendBinary(badFrame(random, transferIds));
          else if (kind < 0.9) client.socket.send("{".repeat(int(random, 5000)));
          else if (kind < 0.93) client.socket.send(JSON.stringify({ type: "ping", pad: "x".repeat(300_000) }));
          else if (kind < 0.95) client.sendBinary(new Uint8Array(300 * 1024)); // over maxPayload: the daemon closes with 1009
          else {
            // A real submit, so later messages can hit a live transfer out of order.
            const pixels = testImage(4, 4, 1, 8, sent);
            client.send({
              type: "submit",
              requestId: `f${sent}`,
              preset: "portrait-natural",
              overrides: { scale: 2 },
              review: false,
              image: { width: 4, height: 4, channels: 1, bitDepth: 8, byteLength: 16, crc32: crcOf(pixels) },
            });
          }
        } catch {
          // The socket may already be closing; that is part of the run.
        }
      }
      // Collect what the daemon assigned, then make sure it still answers on this connection.
      if (!client.closed) {
        client.send({ type: "ping" });
        try {
          await client.next("pong", 10_000);
        } catch (error) {
          if (!client.closed) throw error;
        }
        for (;;) {
          const accepted = await client.take((item) => item.kind === "text" && item.message.type === "accepted", 1).catch(() => undefined);
          if (!accepted || accepted.kind !== "text" || accepted.message.type !== "accepted") break;
          transferIds.push(accepted.message.transferId);
          jobIds.push(accepted.message.jobId);
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(reconnects).toBeGreaterThan(0);
    client.terminate();

    // Malformed HTTP: random bytes, truncated requests and bad bodies on raw TCP and fetch.
    for (let i = 0; i < 60; i += 1) {
      await new Promise<void>((resolve) => {
        const socket = tcpConnect(daemon!.port, "127.0.0.1", () => {
          const junk =
            i % 3 === 0
              ? Buffer.from(randomBytes(random, 1 + int(random, 300)))
              : i % 3 === 1
                ? Buffer.from(`POST /v1/jobs?width=4&height=4&channels=1&bitDepth=8 HTTP/1.1\r\nHost: 127.0.0.1:${daemon!.port}\r\nAuthorization: Bearer ${daemon!.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 16\r\n\r\nabc`)
                : Buffer.from(`GET /v1/${"a".repeat(int(random, 20_000))} HTTP/1.1\r\nHost: 127.0.0.1:${daemon!.port}\r\n\r\n`);
          socket.end(junk);
        });
        socket.on("data", () => undefined);
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 2000).unref();
      });
    }
    const auth = { Authorization: `Bearer ${daemon.token}` };
    for (let i = 0; i < 60; i += 1) {
      const query = Array.from({ length: int(random, 5) }, () => `${pick(random, ["width", "height", "channels", "bitDepth", "scale", "format", "x"])}=${encodeURIComponent(String(randomValue(random)))}`).join("&");
      const response = await fetch(`${daemon.url}/v1/jobs?${query}`, {
        method: pick(random, ["POST", "GET", "PUT", "DELETE"]),
        headers: { ...auth, "Content-Type": pick(random, ["application/octet-stream", "image/png", "text/plain"]) },
        ...(random() < 0.8 ? { body: randomBytes(random, int(random, 2000)) } : {}),
      }).catch(() => undefined);
      if (response) {
        const body = await response.json().catch(() => ({}));
        if (response.status >= 400) expect(typeof body.error?.code).toBe("string");
      }
    }

    // Still healthy, and a normal job still works end to end.
    const health = await fetch(`${daemon.url}/v1/health`);
    expect(health.status).toBe(200);
    const normal = await TestWsClient.connect(daemon);
    const pixels = testImage(16, 16, 4, 16, 42);
    const jobId = await normal.submit(pixels, { width: 16, height: 16, channels: 4, bitDepth: 16 }, { scale: 2 });
    const { bytes } = await normal.receiveResult(jobId);
    expect(crcOf(bytes)).toBe(crcOf(upscaleNearest({ kind: "raw", width: 16, height: 16, channels: 4, bitDepth: 16, bytes: pixels }, 2).bytes));
    await normal.close();
    await waitFor(() => daemon!.engine.stats().running === 0 && daemon!.engine.stats().queued === 0);
  });
});

import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, chunkFrameOf } from "@portrait-upscale/shared";
import { upscaleNearest } from "../../src/jobs/fake-runner";
import { daemonPerTest } from "../support/daemon-per-test";
import { crcOf, testImage, waitFor, type TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const clients: TestWsClient[] = [];
const startDaemon = daemonPerTest({ beforeStop: () => clients.splice(0).forEach((client) => client.terminate()) });

async function connect(d: TestDaemon): Promise<TestWsClient> {
  const client = await TestWsClient.connect(d);
  clients.push(client);
  return client;
}

async function open(d: TestDaemon, headers: Record<string, string> = {}): Promise<TestWsClient> {
  const client = await TestWsClient.open(d.wsUrl, headers);
  clients.push(client);
  return client;
}

async function healthy(d: TestDaemon): Promise<void> {
  const response = await fetch(`${d.url}/v1/health`);
  expect(response.status).toBe(200);
}

const hello = (token?: string, protocol = PROTOCOL_VERSION) => ({
  type: "hello",
  protocol,
  client: { name: "test", version: "1" },
  ...(token !== undefined ? { token } : {}),
});

describe("WebSocket: connection and security", () => {
  it("welcomes a client with the token and answers ping", async () => {
    const daemon = await startDaemon();
    const client = await open(daemon);
    client.send(hello(daemon.token));
    const welcome = await client.next("welcome");
    expect(welcome.protocol).toBe(1);
    expect(welcome.presets.map((preset) => preset.id)).toContain("portrait-natural");
    expect(welcome.limits.resultTtlSeconds).toBe(600);
    client.send({ type: "ping" });
    await client.next("pong");
  });

  it("accepts the token in the upgrade request, then a hello without one", async () => {
    const daemon = await startDaemon();
    const client = await open(daemon, { Authorization: `Bearer ${daemon.token}` });
    client.send(hello());
    await client.next("welcome");
  });

  it("refuses a missing or wrong token with an error and close code 4401", async () => {
    const daemon = await startDaemon();
    const none = await open(daemon);
    none.send(hello());
    expect((await none.next("error")).code).toBe("AUTH_REQUIRED");
    // Still open, so the panel can pair; anything else is refused and closes.
    none.send({ type: "ping" });
    await none.next("pong");
    none.send({ type: "fetch-result", jobId: "j_abc" });
    expect((await none.next("error")).code).toBe("AUTH_REQUIRED");
    expect(await none.waitClosed()).toBe(4401);
    const wrong = await open(daemon);
    wrong.send(hello("x".repeat(43)));
    expect((await wrong.next("error")).code).toBe("AUTH_INVALID");
    expect(await wrong.waitClosed()).toBe(4401);
    const early = await open(daemon);
    early.send({ type: "cancel", jobId: "j_abc" });
    expect((await early.next("error")).code).toBe("AUTH_REQUIRED");
    expect(await early.waitClosed()).toBe(4401);
    const binary = await open(daemon);
    binary.sendBinary(chunkFrameOf(1, new Uint8Array(10), 10, 0));
    expect((await binary.next("error")).code).toBe("AUTH_REQUIRED");
    await expect(open(daemon, { Authorization: "Bearer wrong-token-wrong-token" })).rejects.toMatchObject({ status: 401 });
    await healthy(daemon);
  });

  it("closes a connection that does not say hello in time", async () => {
    const daemon = await startDaemon({ ws: { helloDeadlineMs: 200 } });
    const silent = await open(daemon);
    expect((await silent.next("error")).code).toBe("AUTH_REQUIRED");
    expect(await silent.waitClosed()).toBe(4401);
  });

  it("refuses another protocol version clearly", async () => {
    const daemon = await startDaemon();
    const client = await open(daemon);
    client.send(hello(daemon.token, 2));
    const error = await client.next("error");
    expect(error.code).toBe("PROTOCOL_VERSION_MISMATCH");
    expect(error.data).toMatchObject({ daemon: 1, client: 2 });
    expect(await client.waitClosed()).toBe(4426);
  });

  it("refuses foreign origins and hosts before the WebSocket exists", async () => {
    const daemon = await startDaemon();
    await expect(open(daemon, { Origin: "https://evil.example" })).rejects.toMatchObject({ status: 403, body: expect.stringContaining("ORIGIN_FORBIDDEN") });
    await expect(open(daemon, { Host: `rebind.example:${daemon.port}` })).rejects.toMatchObject({ status: 403, body: expect.stringContaining("HOST_FORBIDDEN") });
    await expect(TestWsClient.open(`ws://127.0.0.1:${daemon.port}/elsewhere`)).rejects.toMatchObject({ status: 404 });
    const uxp = await open(daemon, { Origin: "plugin://com.example.panel" });
    uxp.send(hello(daemon.token));
    await uxp.next("welcome");
  });

  it("pairs over the socket with a one-time code, after a hello without a token", async () => {
    const daemon = await startDaemon();
    const { code } = daemon.pairing.createCode();
    const client = await open(daemon);
    client.send(hello());
    expect((await client.next("error")).code).toBe("AUTH_REQUIRED");
    client.send({ type: "pair", code: code === "000-000" ? "000-001" : "000-000" });
    expect((await client.next("error")).code).toBe("PAIRING_INVALID");
    client.send({ type: "pair", code });
    expect((await client.next("paired")).token).toBe(daemon.token);
    await client.next("welcome");
  });
});

describe("WebSocket: jobs", () => {
  it("uploads, runs and downloads a 16-bit RGBA job pixel for pixel, then releases it", async () => {
    const daemon = await startDaemon({ config: { resultSpillBytes: 0 } });
    const client = await connect(daemon);
    const pixels = testImage(40, 30, 4, 16, 3);
    const image = { width: 40, height: 30, channels: 4 as const, bitDepth: 16 as const, colorProfile: "Display P3" };
    const placement = { left: 10, top: -5, documentWidth: 100, documentHeight: 80 };
    const jobId = await client.submit(pixels, { ...image, placement }, { scale: 3 });
    const { header, bytes, progress } = await client.receiveResult(jobId);
    expect(progress).toBeGreaterThan(0);
    expect(header.image).toMatchObject({ width: 120, height: 90, channels: 4, bitDepth: 16, colorProfile: "Display P3" });
    expect(header.image.placement).toEqual({ left: 30, top: -15, documentWidth: 300, documentHeight: 240 });
    const expected = upscaleNearest({ kind: "raw", ...image, bytes: pixels }, 3).bytes;
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(expected))).toBe(0);
    // Not kept: the result goes once fully acknowledged.
    await waitFor(() => !daemon!.engine.has(jobId), 5000, "the result to be released");
    expect(await readdir(daemon.tempDir)).toEqual([]);
    await healthy(daemon);
  });

  it("sends big results in many chunks under the window", async () => {
    const daemon = await startDaemon();
    const client = await connect(daemon);
    const pixels = testImage(128, 128, 4, 16, 9); // 128 KiB in, 2 MiB out at ×4: several chunks each way
    const jobId = await client.submit(pixels, { width: 128, height: 128, channels: 4, bitDepth: 16 }, { scale: 4 });
    const { bytes } = await client.receiveResult(jobId);
    expect(bytes.length).toBe(512 * 512 * 8);
    expect(crcOf(bytes)).toBe(crcOf(upscaleNearest({ kind: "raw", width: 128, height: 128, channels: 4, bitDepth: 16, bytes: pixels }, 4).bytes));
  });

  it("reports a damaged upload as CHECKSUM_MISMATCH for its job", async () => {
    const daemon = await startDaemon();
    const client = await connect(daemon);
    const pixels = testImage(8, 8, 3, 8);
    client.send({
      type: "submit",
      requestId: "bad-crc",
      preset: "portrait-natural",
      overrides: {},
      review: false,
      image: { width: 8, height: 8, channels: 3, bitDepth: 8, byteLength: pixels.length, crc32: "00000000" },
    });
    const accepted = await client.next("accepted");
    client.sendBinary(chunkFrameOf(accepted.transferId, pixels, accepted.chunkBytes, 0));
    const error = await client.next("error");
    expect(error).toMatchObject({ jobId: accepted.jobId, code: "CHECKSUM_MISMATCH" });
    expect(daemon.engine.status(accepted.jobId).state).toBe("failed");
    await healthy(daemon);
  });

  it("refuses too large images from the header, with the request id", async () => {
    const daemon = await startDaemon({ config: { limits: { maxInputPixels: 1000 } } });
    const client = await connect(daemon);
    await expect(client.submit(testImage(40, 40, 1, 8), { width: 40, height: 40, channels: 1, bitDepth: 8 }, { requestId: "big" })).rejects.toMatchObject({
      code: "INPUT_TOO_LARGE",
    });
    client.send({ type: "submit", requestId: "x", preset: "portrait-natural", overrides: { scale: 5 }, review: false, image: { width: 1, height: 1, channels: 1, bitDepth: 8, byteLength: 1, crc32: "00000000" } });
    const invalid = await client.next("error");
    expect(invalid.code).toBe("MESSAGE_INVALID");
    expect(invalid.message).toMatch(/^Expected one of 2, 3, 4, 6, 8 for submit\.overrides\.scale/);
  });

  it("limits concurrent jobs per client", async () => {
    const daemon = await startDaemon({ config: { limits: { maxJobsPerClient: 2 } }, fake: { tiles: 100, tileDelayMs: 20 } });
    const client = await connect(daemon);
    const image = { width: 4, height: 4, channels: 1, bitDepth: 8 as const };
    await client.submit(testImage(4, 4, 1, 8), image);
    await client.submit(testImage(4, 4, 1, 8), image);
    await expect(client.submit(testImage(4, 4, 1, 8), image)).rejects.toMatchObject({ code: "TOO_MANY_JOBS" });
  });

  it("caps the bytes of all uploads in progress, and gives them back when an upload ends", async () => {
    const daemon = await startDaemon({ config: { limits: { maxPendingUploadBytes: 300_000 } } });
    const image = { width: 256, height: 256, channels: 4, bitDepth: 8 as const }; // 256 KiB
    const first = await connect(daemon);
    const second = await connect(daemon);
    await first.submit(testImage(256, 256, 4, 8), image, { stopAfterChunks: 0 });
    await expect(second.submit(testImage(256, 256, 4, 8), image)).rejects.toMatchObject({ code: "TOO_MANY_JOBS" });
    first.terminate();
    await waitFor(() => daemon!.engine.stats().queued === 0);
    const jobId = await second.submit(testImage(256, 256, 4, 8), image, { scale: 2 });
    await second.receiveResult(jobId);
    // A finished upload is given back too: the same size fits again.
    const again = await second.submit(testImage(256, 256, 4, 8), image, { scale: 2 });
    await second.receiveResult(again);
  });

  it("returns the review report before the result when asked", async () => {
    const daemon = await startDaemon();
    const client = await connect(daemon);
    const jobId = await client.submit(testImage(4, 4, 3, 8), { width: 4, height: 4, channels: 3, bitDepth: 8 }, { review: true });
    const review = await client.next("review");
    expect(review.jobId).toBe(jobId);
    await client.receiveResult(jobId);
  });
});

describe("WebSocket: notes and review crops (hello.features)", () => {
  const image = { width: 4, height: 4, channels: 3 as const, bitDepth: 8 as const };

  it("sends crops after the review and the result, with notes, once the crops are acknowledged", async () => {
    const daemon = await startDaemon();
    const client = await TestWsClient.connect(daemon, ["notes", "review-crops", "something-newer"]);
    clients.push(client);
    // Only the features this daemon has come back; an unknown name is not an error.
    expect(client.welcome?.features).toEqual(["notes", "review-crops"]);
    const jobId = await client.submit(testImage(4, 4, 3, 8), image, { review: true, scale: 2 });
    await client.next("review");
    const { header, crops } = await client.receiveCrops(jobId, { ackLast: false });
    expect(header.crops).toEqual([{ region: "image", width: 2, height: 1, byteLength: crops[0].byteLength }]);
    const expected = upscaleNearest({ kind: "raw", ...image, bytes: testImage(4, 4, 3, 8) }, 2).bytes.slice(0, 64);
    expect([...crops[0]]).toEqual([...expected]);
    // One transfer at a time: the result waits for the crops' last ack.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.queued("result")).toBe(false);
    client.send({ type: "ack", transferId: header.transferId, received: Math.ceil(header.byteLength / header.chunkBytes) });
    const { header: result } = await client.receiveResult(jobId);
    expect(result.transferId).not.toBe(header.transferId);
    expect(result.notes).toEqual([{ code: "NO_FACE", message: "No face was found; the whole image was treated as background." }]);
  });

  it("sends a client that did not ask exactly what protocol 1 always had", async () => {
    const daemon = await startDaemon();
    const client = await connect(daemon);
    expect(client.welcome).not.toHaveProperty("features");
    const jobId = await client.submit(testImage(4, 4, 3, 8), image, { review: true, scale: 2 });
    await client.next("review");
    const { header } = await client.receiveResult(jobId);
    expect(header).not.toHaveProperty("notes");
    expect(client.queued("review-crops")).toBe(false);
  });

  it("sends no crops without a review, and the notes still", async () => {
    const daemon = await startDaemon();
    const client = await TestWsClient.connect(daemon, ["review-crops", "notes"]);
    clients.push(client);
    const jobId = await client.submit(testImage(4, 4, 3, 8), image, { scale: 2 });
    const { header } = await client.receiveResult(jobId);
    expect(header.notes).toHaveLength(1);
    expect(client.queued("review-crops")).toBe(false);
  });
});

describe("WebSocket: cancel and disconnect", () => {
  const image = { width: 8, height: 8, channels: 3 as const, bitDepth: 8 as const };

  it("cancels a queued and a running job", async () => {
    const daemon = await startDaemon({ fake: { tiles: 100, tileDelayMs: 20 } });
    const client = await connect(daemon);
    const running = await client.submit(testImage(8, 8, 3, 8), image);
    const queued = await client.submit(testImage(8, 8, 3, 8), image);
    await waitFor(() => daemon!.engine.status(running).state === "running");
    expect(daemon.engine.status(queued).state).toBe("queued");
    client.send({ type: "cancel", jobId: queued });
    expect((await client.next("cancelled")).jobId).toBe(queued);
    client.send({ type: "cancel", jobId: running });
    expect((await client.next("cancelled")).jobId).toBe(running);
    await waitFor(() => daemon!.engine.stats().running === 0);
    await healthy(daemon);
  });

  it("cancels during the upload and during the download", async () => {
    const daemon = await startDaemon({ config: { resultSpillBytes: 0 } });
    const client = await connect(daemon);
    const pixels = testImage(512, 512, 4, 8); // 1 MiB: two chunks
    const uploading = await client.submit(pixels, { width: 512, height: 512, channels: 4, bitDepth: 8 }, { stopAfterChunks: 1 });
    client.send({ type: "cancel", jobId: uploading });
    expect((await client.next("cancelled")).jobId).toBe(uploading);
    const downloading = await client.submit(testImage(256, 256, 4, 8), { width: 256, height: 256, channels: 4, bitDepth: 8 }, { scale: 2 });
    await client.receiveResult(downloading, { stopAfterChunks: 1 });
    client.send({ type: "cancel", jobId: downloading });
    // Cancelling a download is answered, and a result nobody kept is released at once.
    expect((await client.next("cancelled")).jobId).toBe(downloading);
    await waitFor(() => !daemon!.engine.has(downloading), 5000, "the unkept result to be released");
    await healthy(daemon);
  });

  it("cancels jobs of a client that disconnects mid-upload and mid-job, leaving no files", async () => {
    const daemon = await startDaemon({ fake: { tiles: 100, tileDelayMs: 20 }, config: { resultSpillBytes: 0 } });
    const first = await connect(daemon);
    const uploading = await first.submit(testImage(512, 512, 4, 8), { width: 512, height: 512, channels: 4, bitDepth: 8 }, { stopAfterChunks: 1 });
    first.terminate();
    await waitFor(() => daemon!.engine.status(uploading).state === "cancelled");
    const second = await connect(daemon);
    const running = await second.submit(testImage(8, 8, 3, 8), image);
    await waitFor(() => daemon!.engine.status(running).state === "running");
    second.terminate();
    await waitFor(() => daemon!.engine.status(running).state === "cancelled");
    await waitFor(() => daemon!.engine.stats().running === 0);
    expect(await readdir(daemon.tempDir)).toEqual([]);
    await healthy(daemon);
  });

  it("keeps a job with keep: true across a reconnect and serves it with fetch-result", async () => {
    const daemon = await startDaemon({ fake: { tiles: 10, tileDelayMs: 20 }, config: { resultSpillBytes: 0 } });
    const first = await connect(daemon);
    const pixels = testImage(8, 8, 3, 8, 5);
    const jobId = await first.submit(pixels, image, { keep: true, scale: 2 });
    await waitFor(() => daemon!.engine.status(jobId).state === "running");
    first.terminate();
    const second = await connect(daemon);
    second.send({ type: "fetch-result", jobId });
    const { bytes } = await second.receiveResult(jobId);
    expect(crcOf(bytes)).toBe(crcOf(upscaleNearest({ kind: "raw", ...image, bytes: pixels }, 2).bytes));
    // Kept: fetchable again until it expires.
    second.send({ type: "fetch-result", jobId });
    await second.receiveResult(jobId);
    await healthy(daemon);
  });

  it("keeps a finished result when the reader disconnects mid-download", async () => {
    const daemon = await startDaemon({ config: { resultSpillBytes: 0 } });
    const first = await connect(daemon);
    const pixels = testImage(256, 256, 4, 8, 11);
    const jobId = await first.submit(pixels, { width: 256, height: 256, channels: 4, bitDepth: 8 }, { scale: 2 });
    await first.receiveResult(jobId, { stopAfterChunks: 1 });
    first.terminate();
    const second = await connect(daemon);
    second.send({ type: "fetch-result", jobId });
    const { bytes } = await second.receiveResult(jobId);
    expect(bytes.length).toBe(512 * 512 * 4);
    await waitFor(() => !daemon!.engine.has(jobId), 5000, "release after the full download");
    expect(await readdir(daemon.tempDir)).toEqual([]);
  });

  it("answers fetch-result for unknown jobs with JOB_UNKNOWN", async () => {
    const daemon = await startDaemon();
    const client = await connect(daemon);
    client.send({ type: "fetch-result", jobId: "j_nothing" });
    expect(await client.next("error")).toMatchObject({ code: "JOB_UNKNOWN", jobId: "j_nothing" });
    client.send({ type: "cancel", jobId: "j_nothing" });
    expect(await client.next("error")).toMatchObject({ code: "JOB_UNKNOWN", jobId: "j_nothing" });
  });
});

import { describe, expect, it } from "vitest";
import { jobStatusSchema, matches, type DaemonMessage, type MessageOfType } from "@portrait-upscale/shared";
import { daemonPerTest } from "../support/daemon-per-test";
import { readJobEvents } from "../support/job-events";
import { testImage, type TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const startDaemon = daemonPerTest();

function auth(d: TestDaemon): Record<string, string> {
  return { Authorization: `Bearer ${d.token}` };
}

/** The test catalog's prediction: a minute per input megapixel per unit of scale. */
const expectedSeconds = (width: number, height: number, scale: number): number => Math.round(((width * height) / 1e6) * scale * 600) / 10;

type Progress = MessageOfType<DaemonMessage, "progress">;

/** Collects a job's progress messages until its result header arrives (the result itself is not downloaded). */
async function progressUntilResult(client: TestWsClient, jobId: string): Promise<Progress[]> {
  const seen: Progress[] = [];
  for (;;) {
    const item = await client.take((entry) => entry.kind === "text" && "jobId" in entry.message && entry.message.jobId === jobId);
    const message = (item as { message: DaemonMessage }).message;
    if (message.type === "progress") seen.push(message);
    else if (message.type === "result") return seen;
    else throw new Error(`unexpected ${message.type}`);
  }
}

describe("HTTP GET /v1/estimate", () => {
  it("answers the catalog's prediction for a job's options and size, without pixels", async () => {
    const daemon = await startDaemon();
    const response = await fetch(`${daemon.url}/v1/estimate?width=2000&height=1500&scale=4&preset=portrait-natural`, { headers: auth(daemon) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      seconds: expectedSeconds(2000, 1500, 4),
      provider: "cpu",
      device: 0,
      calibrated: false,
      models: [{ id: "nearest", megapixels: 3, seconds: expectedSeconds(2000, 1500, 4) }],
    });
  });

  it.each([
    { name: "no height", query: "width=100", code: "INVALID_OPTION", status: 400 },
    { name: "an unknown preset", query: "width=100&height=100&preset=no-such-preset", code: "PRESET_UNKNOWN", status: 404 },
    { name: "an override of a locked preset", query: "width=100&height=100&preset=studio-locked&scale=4", code: "PRESET_LOCKED", status: 409 },
    { name: "pixels past the limit", query: "width=100000&height=100000", code: "INPUT_TOO_LARGE", status: 413 },
    { name: "an unknown key", query: "width=100&height=100&channels=3", code: "INVALID_OPTION", status: 400 },
  ])("refuses $name with $code, as a job would be refused", async ({ query, code }) => {
    const daemon = await startDaemon();
    const response = await fetch(`${daemon.url}/v1/estimate?${query}`, { headers: auth(daemon) });
    expect((await response.json()).error.code).toBe(code);
    const health = await fetch(`${daemon.url}/v1/health`);
    expect(health.status).toBe(200);
  });

  it("needs the token", async () => {
    const daemon = await startDaemon();
    const response = await fetch(`${daemon.url}/v1/estimate?width=10&height=10`);
    expect((await response.json()).error.code).toBe("AUTH_REQUIRED");
  });
});

describe("HTTP jobs carry their estimate", () => {
  it("the status has estimateSeconds and an ETA from acceptance; events leave out uncounted tiles", async () => {
    const daemon = await startDaemon({ fake: { tiles: 2, tileDelayMs: 30 } });
    const pixels = testImage(40, 25, 3, 8);
    const created = await fetch(`${daemon.url}/v1/jobs?width=40&height=25&channels=3&bitDepth=8&scale=2`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream" },
      body: pixels,
    });
    const { id } = await created.json();
    const status = await (await fetch(`${daemon.url}/v1/jobs/${id}`, { headers: auth(daemon) })).json();
    expect(matches(jobStatusSchema, status)).toBe(true);
    expect(status.estimateSeconds).toBe(expectedSeconds(40, 25, 2));
    expect(status.etaSeconds).toBeGreaterThan(0);
    expect(status.etaSeconds).toBeLessThanOrEqual(status.estimateSeconds);
    const lines = await readJobEvents(daemon, id);
    const progress = lines.filter((line) => line.type === "progress");
    expect(lines.at(-1).type).toBe("done");
    for (const line of progress) {
      expect(line.estimateSeconds).toBe(expectedSeconds(40, 25, 2));
      // Tiles are counted only in the upscale stage; elsewhere the fields are absent, never 0 of 0.
      if (line.stage === "upscale") expect(line).toMatchObject({ tiles: 2 });
      else expect("tiles" in line || "tile" in line).toBe(false);
    }
    await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth(daemon) });
  });
});

describe("WebSocket estimate", () => {
  it("answers `estimate` with `estimated`, and refuses a locked preset's override by request id", async () => {
    const daemon = await startDaemon();
    const client = await TestWsClient.connect(daemon);
    client.send({ type: "estimate", requestId: "e1", preset: "portrait-natural", overrides: { scale: 4 }, width: 3000, height: 2000 });
    expect(await client.next("estimated")).toEqual({
      type: "estimated",
      requestId: "e1",
      seconds: expectedSeconds(3000, 2000, 4),
      provider: "cpu",
      device: 0,
      calibrated: false,
      models: [{ id: "nearest", megapixels: 6, seconds: expectedSeconds(3000, 2000, 4) }],
    });
    client.send({ type: "estimate", requestId: "e2", preset: "studio-locked", overrides: { scale: 4 }, width: 30, height: 20 });
    expect(await client.next("error")).toMatchObject({ requestId: "e2", code: "PRESET_LOCKED" });
    client.send({ type: "estimate", requestId: "e3", preset: "portrait-natural", overrides: {}, width: 0, height: 20 });
    expect(await client.next("error")).toMatchObject({ code: "MESSAGE_INVALID", data: { path: "estimate.width" } });
    client.send({ type: "ping" });
    await client.next("pong");
    client.socket.close();
  });

  it("progress carries estimateSeconds and only counted tiles for a client with feature estimate", async () => {
    const daemon = await startDaemon({ fake: { tiles: 2, tileDelayMs: 20 } });
    const client = await TestWsClient.connect(daemon, ["estimate"]);
    expect(client.welcome?.features).toEqual(["estimate"]);
    const jobId = await client.submit(testImage(50, 20, 3, 8), { width: 50, height: 20, channels: 3, bitDepth: 8 }, { scale: 3 });
    const progress = await progressUntilResult(client, jobId);
    expect(progress.length).toBeGreaterThan(0);
    for (const message of progress) {
      expect(message.estimateSeconds).toBe(expectedSeconds(50, 20, 3));
      expect(message.etaSeconds).not.toBeNull();
      if (message.stage !== "upscale") expect(message.tiles).toBeUndefined();
    }
    expect(progress.some((message) => message.stage === "upscale" && message.tiles === 2)).toBe(true);
    client.socket.close();
  });

  it("a client without the feature keeps the messages it knows: tile and tiles always, no estimateSeconds", async () => {
    const daemon = await startDaemon({ fake: { tiles: 2, tileDelayMs: 20 } });
    const client = await TestWsClient.connect(daemon);
    const jobId = await client.submit(testImage(50, 20, 3, 8), { width: 50, height: 20, channels: 3, bitDepth: 8 }, { scale: 3 });
    const progress = await progressUntilResult(client, jobId);
    for (const message of progress) {
      expect(message.estimateSeconds).toBeUndefined();
      expect(typeof message.tile).toBe("number");
      expect(typeof message.tiles).toBe("number");
    }
    client.socket.close();
  });
});

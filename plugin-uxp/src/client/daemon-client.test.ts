import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { upscaleNearest } from "portrait-upscale/src/jobs/fake-runner";
import { startTestDaemon, testImage, type TestDaemon } from "portrait-upscale/test/daemon/helpers";
import { PanelError } from "../panel-errors";
import { DaemonConnection, type JobRequest } from "./daemon-client";
import type { SocketFactory, SocketLike } from "./socket";

const nodeSockets: SocketFactory = (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike;

let daemon: TestDaemon | undefined;
const connections: DaemonConnection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await daemon?.stop();
  daemon = undefined;
});

async function open(d: TestDaemon): Promise<DaemonConnection> {
  const connection = await DaemonConnection.open(nodeSockets, { host: "127.0.0.1", port: d.port });
  connections.push(connection);
  return connection;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PanelError);
    return (error as PanelError).code;
  }
  throw new Error("expected a rejection");
}

function request(width: number, height: number, channels: 1 | 2 | 3 | 4, bitDepth: 8 | 16, scale: 2 | 3 | 4): JobRequest {
  return {
    preset: "portrait-natural",
    overrides: { scale },
    review: true,
    width,
    height,
    channels,
    bitDepth,
    colorProfile: "Adobe RGB (1998)",
    bytes: testImage(width, height, channels, bitDepth, 5),
  };
}

describe("daemon client over a real daemon", () => {
  it("cannot open a connection to a port where nothing listens", async () => {
    daemon = await startTestDaemon();
    const port = daemon.port;
    await daemon.stop();
    daemon = undefined;
    expect(await codeOf(DaemonConnection.open(nodeSockets, { host: "127.0.0.1", port }))).toBe("DAEMON_UNREACHABLE");
  });

  it("says hello with the token, and reports a missing or wrong token by code", async () => {
    daemon = await startTestDaemon();
    const welcome = await (await open(daemon)).hello(daemon.token);
    expect(welcome.providers.active).toBe("cpu");
    expect(await codeOf((await open(daemon)).hello(undefined))).toBe("AUTH_REQUIRED");
    expect(await codeOf((await open(daemon)).hello("w".repeat(43)))).toBe("AUTH_INVALID");
  });

  it("pairs with a one-time code and receives the token", async () => {
    daemon = await startTestDaemon();
    expect(await codeOf((await open(daemon)).pair("000-000"))).toBe("PAIRING_INVALID");
    const { code } = daemon.pairing.createCode();
    const { token, welcome } = await (await open(daemon)).pair(code);
    expect(token).toBe(daemon.token);
    expect(welcome.defaultPreset).toBe("portrait-natural");
  });

  it("uploads in many small chunks and reassembles a 16-bit RGBA result exactly", async () => {
    // A 2 KiB message limit makes the daemon offer ~2 KB chunks: dozens each way.
    daemon = await startTestDaemon({ config: { limits: { maxMessageBytes: 2048 } } });
    const connection = await open(daemon);
    await connection.hello(daemon.token);
    const job = request(64, 48, 4, 16, 3);
    const input = job.bytes;
    const uploads: number[] = [];
    const downloads: number[] = [];
    const stages: string[] = [];
    const outcome = await connection.runJob(job, {
      onUpload: (sent) => uploads.push(sent),
      onDownload: (received) => downloads.push(received),
      onProgress: (progress) => stages.push(progress.stage),
    }).outcome;
    expect(uploads.length).toBeGreaterThan(8);
    expect(uploads.at(-1)).toBe(input.length);
    expect(downloads.length).toBeGreaterThan(20);
    expect(stages).toContain("upscale");
    expect(outcome.image).toMatchObject({ width: 192, height: 144, channels: 4, bitDepth: 16, colorProfile: "Adobe RGB (1998)" });
    expect(outcome.review?.verdict).toBe("pass");
    const expected = upscaleNearest({ kind: "raw", width: 64, height: 48, channels: 4, bitDepth: 16, bytes: input }, 3).bytes;
    expect(Buffer.compare(Buffer.from(outcome.bytes), Buffer.from(expected))).toBe(0);
    // The panel asks for notes and crops in hello: both arrive with the outcome.
    expect(outcome.notes).toEqual([{ code: "NO_FACE", message: "No face was found; the whole image was treated as background." }]);
    expect(outcome.crops).toHaveLength(1);
    expect(outcome.crops?.[0]).toMatchObject({ region: "image", width: 2, height: 1 });
    expect([...(outcome.crops?.[0].png ?? [])]).toEqual([...expected.slice(0, 64)]);
  });

  it("asks the daemon what a job would cost, and gets the refusal's code for a locked preset", async () => {
    daemon = await startTestDaemon();
    const connection = await open(daemon);
    await connection.hello(daemon.token);
    const [natural, big] = await Promise.all([
      connection.estimate({ preset: "portrait-natural", overrides: { scale: 2 }, width: 1000, height: 500 }),
      connection.estimate({ preset: "portrait-natural", overrides: { scale: 4 }, width: 2000, height: 1000 }),
    ]);
    // The test catalog: a minute per input megapixel per unit of scale.
    expect(natural).toMatchObject({ seconds: 60, provider: "cpu", calibrated: false });
    expect(big.seconds).toBe(480);
    expect(await codeOf(connection.estimate({ preset: "studio-locked", overrides: { scale: 4 }, width: 10, height: 10 }))).toBe("PRESET_LOCKED");
    // Progress carries the estimate the job was accepted with, and no tile count outside the upscale stage.
    const progress: { stage: string; estimateSeconds?: number; tiles?: number }[] = [];
    await connection.runJob({ ...request(8, 8, 3, 8, 2), review: false }, { onProgress: (message) => progress.push(message) }).outcome;
    expect(progress.length).toBeGreaterThan(0);
    for (const message of progress) {
      expect(message.estimateSeconds).toBe(0);
      if (message.stage !== "upscale") expect(message.tiles).toBeUndefined();
    }
  });

  it("asks for notes and review crops, and gets neither without a review's crops", async () => {
    daemon = await startTestDaemon();
    const connection = await open(daemon);
    const welcome = await connection.hello(daemon.token);
    expect(welcome.features).toEqual(["notes", "review-crops", "estimate", "devices"]);
    // The test daemon has one device; the panel's chooser stays hidden with fewer than two.
    expect(welcome.devices).toEqual([{ id: 0, provider: "cpu", name: "CPU", default: true }]);
    const outcome = await connection.runJob({ ...request(4, 4, 3, 8, 2), review: false }).outcome;
    expect(outcome.notes).toHaveLength(1);
    expect(outcome.crops).toBeUndefined();
  });

  it("says hello again without features to a daemon that predates them", async () => {
    // A daemon of before features: strict about hello's fields, like every protocol-1 daemon.
    const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    const hellos: Record<string, unknown>[] = [];
    server.on("connection", (socket) => {
      socket.on("message", (data) => {
        const hello = JSON.parse(String(data)) as Record<string, unknown>;
        hellos.push(hello);
        if ("features" in hello) {
          socket.send(JSON.stringify({ type: "error", code: "MESSAGE_INVALID", message: "Expected no such field for hello.features", data: { path: "hello.features" } }));
        } else socket.send(readFileSync(new URL("../../../shared/fixtures/protocol/daemon.welcome.json", import.meta.url), "utf8"));
      });
    });
    try {
      const connection = await DaemonConnection.open(nodeSockets, { host: "127.0.0.1", port: (server.address() as AddressInfo).port });
      connections.push(connection);
      const welcome = await connection.hello("t".repeat(43));
      expect(welcome.features).toBeUndefined();
      expect(hellos.map((hello) => hello.features)).toEqual([["notes", "review-crops", "estimate", "devices"], undefined]);
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("cancels a running job on the daemon", async () => {
    daemon = await startTestDaemon({ fake: { tiles: 20, tileDelayMs: 100 } });
    const connection = await open(daemon);
    await connection.hello(daemon.token);
    let jobId = "";
    const handle = connection.runJob(request(8, 8, 3, 8, 2), {
      onAccepted: (id) => (jobId = id),
      onProgress: (progress) => {
        if (progress.stage === "upscale") handle.cancel();
      },
    });
    expect(await codeOf(handle.outcome)).toBe("CANCELLED");
    expect(daemon.engine.status(jobId).state).toBe("cancelled");
  });

  it("refuses a locked preset's overrides by code", async () => {
    daemon = await startTestDaemon();
    const connection = await open(daemon);
    await connection.hello(daemon.token);
    const handle = connection.runJob({ ...request(4, 4, 3, 8, 2), preset: "studio-locked" });
    expect(await codeOf(handle.outcome)).toBe("PRESET_LOCKED");
  });

  it("fails a job with CONNECTION_LOST when the daemon goes away", async () => {
    daemon = await startTestDaemon({ fake: { tiles: 20, tileDelayMs: 100 } });
    const connection = await open(daemon);
    await connection.hello(daemon.token);
    const handle = connection.runJob(request(8, 8, 3, 8, 2), {
      onProgress: () => void daemon?.close(),
    });
    expect(await codeOf(handle.outcome)).toBe("CONNECTION_LOST");
  });
});

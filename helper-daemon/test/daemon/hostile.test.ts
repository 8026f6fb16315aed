/**
 * Hostile and broken clients, written from docs/api.md rather than with the project's own
 * clients: each case here once stopped the daemon, stalled it or answered wrongly.
 * Afterwards health must answer and no file may remain.
 */
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@portrait-upscale/shared";
import type { Logger } from "../../src/config/log";
import { createFakeRunner } from "../../src/jobs/fake-runner";
import type { JobRunner } from "../../src/jobs/types";
import { daemonPerTest } from "../support/daemon-per-test";
import { testImage, waitFor, type TestDaemon } from "./helpers";
import { RawConnection, httpChunk } from "./raw-socket";
import { TestWsClient } from "./ws-client";

const connections: RawConnection[] = [];
const startDaemon = daemonPerTest({ beforeStop: () => connections.splice(0).forEach((connection) => connection.destroy()) });

async function open(d: TestDaemon): Promise<RawConnection> {
  const connection = await RawConnection.open(d.port);
  connections.push(connection);
  return connection;
}

async function healthAnswers(d: TestDaemon): Promise<void> {
  const response = await fetch(`${d.url}/v1/health`);
  expect(response.status).toBe(200);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A tiny valid PNG (1×1). */
const PNG_1X1 = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201" + "5c2b3b2b0000000049454e44ae426082",
  "hex",
);

describe("defect 1: refused bodies never outlive their request", () => {
  it("a chunked pair body over the limit gets 413 and the daemon lives on", async () => {
    const daemon = await startDaemon();
    const connection = await open(daemon);
    connection.write(`POST /v1/pair HTTP/1.1\r\nHost: ${daemon.hostHeader}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    for (let i = 0; i < 20; i += 1) connection.write(httpChunk("x".repeat(1024)));
    await waitFor(() => connection.status !== undefined, 5000, "the answer");
    expect(connection.status).toBe(413);
    expect(connection.errorCode).toBe("MESSAGE_TOO_LARGE");
    connection.write("0\r\n\r\n");
    await pause(1500);
    await healthAnswers(daemon);
  });

  it("an authenticated chunked raw upload longer than declared gets 413 and the daemon lives on", async () => {
    const daemon = await startDaemon();
    const connection = await open(daemon);
    connection.write(
      `POST /v1/jobs?width=4&height=4&channels=3&bitDepth=8&scale=2 HTTP/1.1\r\nHost: ${daemon.hostHeader}\r\n` +
        `Authorization: Bearer ${daemon.token}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    connection.write(httpChunk(new Uint8Array(40)));
    connection.write(httpChunk(new Uint8Array(40)));
    await waitFor(() => connection.status !== undefined, 5000, "the answer");
    expect(connection.status).toBe(413);
    connection.write("0\r\n\r\n");
    await pause(1500);
    await healthAnswers(daemon);
  });
});

describe("defect 2: a refused WebSocket upgrade that is reset", () => {
  for (const [name, header] of [
    ["a web page's Origin", (d: TestDaemon) => `Host: ${d.hostHeader}\r\nOrigin: https://evil.example`],
    ["a foreign Host", () => "Host: attacker.example"],
  ] as const) {
    it(`is answered and then survived (${name})`, async () => {
      const daemon = await startDaemon();
      const connection = await open(daemon);
      connection.write(
        `GET /v1/ws HTTP/1.1\r\n${header(daemon)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      await waitFor(() => connection.status !== undefined, 5000, "the refusal");
      expect(connection.status).toBe(403);
      connection.reset();
      // A client that resets while the refusal is still being written.
      for (let i = 0; i < 5; i += 1) {
        const hasty = await open(daemon);
        hasty.write(
          `GET /v1/ws HTTP/1.1\r\n${header(daemon)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        );
        await pause(i * 5);
        hasty.reset();
      }
      await pause(300);
      await healthAnswers(daemon);
    });
  }
});

describe("defect 3: timeouts and connection caps", () => {
  it("drops a body that arrives too slowly and a connection that says nothing", async () => {
    const daemon = await startDaemon({ network: { requestTimeoutMs: 1500, headersTimeoutMs: 1000, idleTimeoutMs: 1500 } });
    const slow = await open(daemon);
    slow.write(`POST /v1/pair HTTP/1.1\r\nHost: ${daemon.hostHeader}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const silent = await open(daemon);
    const trickle = setInterval(() => slow.write(" "), 200);
    try {
      await waitFor(() => slow.closed && silent.closed, 15_000, "both connections to be dropped");
    } finally {
      clearInterval(trickle);
    }
    await healthAnswers(daemon);
  });

  it("keeps answering health when idle connections exceed the caps, dropping the oldest unauthenticated ones", async () => {
    const daemon = await startDaemon({ network: { maxConnections: 16, maxConnectionsPerAddress: 12 } });
    const idle: RawConnection[] = [];
    for (let i = 0; i < 40; i += 1) idle.push(await open(daemon));
    await healthAnswers(daemon);
    await waitFor(() => idle.filter((c) => c.closed).length >= 28, 5000, "the oldest idle connections to be dropped");
    // The newest connections are the ones kept.
    expect(idle.slice(-4).every((c) => !c.closed)).toBe(true);
  });
});

describe("defect 4: upload memory follows what arrives", () => {
  it("two stalled chunked uploads leave room for every other upload", async () => {
    const daemon = await startDaemon({ config: { limits: { maxUploadBytes: 1024 * 1024, maxPendingUploadBytes: 2 * 1024 * 1024 } } });
    for (let i = 0; i < 2; i += 1) {
      const stalled = await open(daemon);
      stalled.write(
        `POST /v1/jobs HTTP/1.1\r\nHost: ${daemon.hostHeader}\r\nAuthorization: Bearer ${daemon.token}\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      stalled.write(httpChunk(PNG_1X1.subarray(0, 8)));
    }
    await pause(200);
    const raw = testImage(8, 8, 3, 8);
    const response = await fetch(`${daemon.url}/v1/jobs?width=8&height=8&channels=3&bitDepth=8&scale=2`, {
      method: "POST",
      headers: { Authorization: `Bearer ${daemon.token}`, "Content-Type": "application/octet-stream" },
      body: raw,
    });
    expect(response.status).toBe(202);
    const client = await TestWsClient.connect(daemon);
    const jobId = await client.submit(raw, { width: 8, height: 8, channels: 3, bitDepth: 8 }, { scale: 2 });
    expect(jobId).toMatch(/^j_/);
    await client.close();
  });

  it("gives back a stalled upload's reservation once it stalls past the timeout", async () => {
    const daemon = await startDaemon({
      config: { limits: { maxUploadBytes: 1024 * 1024, maxPendingUploadBytes: 2 * 1024 * 1024 } },
      network: { uploadStallMs: 800 },
    });
    const stalled: RawConnection[] = [];
    for (let i = 0; i < 2; i += 1) {
      const connection = await open(daemon);
      connection.write(
        `POST /v1/jobs?width=512&height=512&channels=4&bitDepth=8 HTTP/1.1\r\nHost: ${daemon.hostHeader}\r\nAuthorization: Bearer ${daemon.token}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${512 * 512 * 4}\r\n\r\n`,
      );
      connection.write(new Uint8Array(16));
      stalled.push(connection);
    }
    await waitFor(() => stalled.every((c) => c.closed), 10_000, "the stalled uploads to be dropped");
    expect(stalled.map((c) => c.errorCode)).toEqual(["UPLOAD_STALLED", "UPLOAD_STALLED"]);
    const client = await TestWsClient.connect(daemon);
    const raw = testImage(512, 512, 4, 8);
    const jobId = await client.submit(raw, { width: 512, height: 512, channels: 4, bitDepth: 8 }, { scale: 2, stopAfterChunks: 1 });
    // The WebSocket upload stalls as well: its job fails with the same code and the budget returns.
    const failed = await client.take((item) => item.kind === "text" && item.message.type === "error" && item.message.jobId === jobId);
    expect((failed as { message: { code: string } }).message.code).toBe("UPLOAD_STALLED");
    const again = await client.submit(raw, { width: 512, height: 512, channels: 4, bitDepth: 8 }, { scale: 2 });
    expect(again).toMatch(/^j_/);
    await client.close();
  });
});

describe("defect 5: pairing an attacker cannot deny", () => {
  it("a wrong guess every moment from one socket neither burns the code nor blocks the real user", async () => {
    const daemon = await startDaemon();
    const { code } = daemon.pairing.createCode();
    const wrong = code === "000-000" ? "000-001" : "000-000";
    const attacker = await TestWsClient.open(daemon.wsUrl);
    for (let i = 0; i < 12; i += 1) {
      attacker.send({ type: "pair", code: wrong });
      const answer = await attacker.next("error");
      expect(answer.code).toBe("PAIRING_INVALID");
    }
    const user = await TestWsClient.open(daemon.wsUrl);
    user.send({ type: "pair", code });
    const paired = await user.next("paired");
    expect(paired.token).toBe(daemon.token);
    await attacker.close();
    await user.close();
  });
});

describe("defect 6: small messages before authentication", () => {
  it("refuses a large text message before hello without parsing it", async () => {
    const daemon = await startDaemon();
    const client = await TestWsClient.open(daemon.wsUrl);
    const nested = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    client.send({ type: "hello", protocol: PROTOCOL_VERSION, client: { name: "x", version: "1" }, padding: nested });
    const error = await client.next("error");
    expect(error.code).toBe("MESSAGE_TOO_LARGE");
    expect(await client.waitClosed()).toBe(1009);
  });
});

describe("defects 7 and 8: result downloads", () => {
  it("answers a cancel during a result download and forgets a result that was not kept", async () => {
    const daemon = await startDaemon({ config: { limits: { maxMessageBytes: 4096 } } });
    const client = await TestWsClient.connect(daemon);
    const raw = testImage(64, 64, 3, 8);
    const jobId = await client.submit(raw, { width: 64, height: 64, channels: 3, bitDepth: 8 }, { scale: 2 });
    await client.receiveResult(jobId, { stopAfterChunks: 1 });
    client.send({ type: "cancel", jobId });
    const cancelled = await client.next("cancelled");
    expect(cancelled.jobId).toBe(jobId);
    await waitFor(() => !daemon!.engine.has(jobId), 5000, "the unkept result to be released");
    await client.close();
  });

  it("refuses fetch-result of an encoded (HTTP) result with RESULT_NOT_RAW", async () => {
    const errors: string[] = [];
    const logger: Logger = { info() {}, warn() {}, error: (message) => errors.push(message) };
    // A runner that answers with a PNG file, as the real one does for format=png.
    const fake = createFakeRunner();
    const runner: JobRunner = {
      async run(input, context) {
        const output = await fake.run(input, context);
        return { ...output, image: { kind: "encoded", format: "png", bytes: PNG_1X1 } };
      },
    };
    const daemon = await startDaemon({ logger, runner });
    const raw = testImage(8, 8, 3, 8);
    const created = await fetch(`${daemon.url}/v1/jobs?width=8&height=8&channels=3&bitDepth=8&scale=2&format=png`, {
      method: "POST",
      headers: { Authorization: `Bearer ${daemon.token}`, "Content-Type": "application/octet-stream" },
      body: raw,
    });
    const { id } = await created.json();
    await waitFor(() => daemon!.engine.status(id).state === "done", 5000, "the job");
    const client = await TestWsClient.connect(daemon);
    client.send({ type: "fetch-result", jobId: id });
    const error = await client.next("error");
    expect(error.code).toBe("RESULT_NOT_RAW");
    expect(errors).toEqual([]);
    await client.close();
  });
});

describe("defect 9: HOST_FORBIDDEN tells a stranger nothing", () => {
  it("lists neither the interfaces nor the host name when listening on every address", async () => {
    const daemon = await startDaemon({ config: { host: "0.0.0.0" } });
    const connection = await open(daemon);
    connection.write("GET /v1/info HTTP/1.1\r\nHost: attacker.example\r\n\r\n");
    await waitFor(() => connection.text.includes("}}"), 5000, "the refusal");
    expect(connection.errorCode).toBe("HOST_FORBIDDEN");
    const body = JSON.parse(connection.text.slice(connection.text.indexOf("\r\n\r\n") + 4));
    expect(body.error.data).toEqual({ host: "attacker.example" });
    expect(connection.text).not.toContain(hostname());
  });
});

describe("defect 11: the smaller ones", () => {
  it("logs a flood of refusals as a few lines and a summary", async () => {
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (message) => warnings.push(message), error() {} };
    const daemon = await startDaemon({ logger });
    for (let i = 0; i < 300; i += 1) await fetch(`${daemon.url}/v1/info`);
    expect(warnings.length).toBeLessThan(20);
    await daemon.close();
    expect(warnings.some((message) => message === "requests refused (summary)")).toBe(true);
  });

  for (const [query, path] of [
    ["__proto__=x", "query.__proto__"],
    ["scale=2&scale=4", "query.scale"],
    ["scale=0x2", "query.scale"],
    ["scale=2e0", "query.scale"],
    ["creativity=.5e0", "query.creativity"],
  ] as const) {
    it(`refuses the query ${query}`, async () => {
      const daemon = await startDaemon();
      const response = await fetch(`${daemon.url}/v1/jobs?width=2&height=2&channels=3&bitDepth=8&${query}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${daemon.token}`, "Content-Type": "application/octet-stream" },
        body: new Uint8Array(12),
      });
      expect(response.status).toBe(400);
      const { error } = await response.json();
      expect(error.code).toBe("INVALID_OPTION");
      expect(error.data.path).toBe(path);
    });
  }

  for (const [name, bytes, code] of [
    ["GIF", Buffer.from("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b", "hex"), "INPUT_NOT_IMAGE"],
    ["SVG", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'), "INPUT_NOT_IMAGE"],
    ["AVIF", Buffer.concat([Buffer.from("000000206674797061766966", "hex"), Buffer.alloc(40)]), "INPUT_NOT_IMAGE"],
    ["truncated PNG", PNG_1X1.subarray(0, PNG_1X1.length - 20), "INPUT_TRUNCATED"],
  ] as const) {
    it(`refuses a ${name} at submit`, async () => {
      const daemon = await startDaemon();
      const response = await fetch(`${daemon.url}/v1/jobs?scale=2`, {
        method: "POST",
        headers: { Authorization: `Bearer ${daemon.token}`, "Content-Type": "image/png" },
        body: bytes,
      });
      expect((await response.json()).error?.code).toBe(code);
      expect(response.status).toBe(code === "INPUT_NOT_IMAGE" ? 415 : 400);
    });
  }
});

import { Agent, request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { upscaleNearest } from "../../src/jobs/fake-runner";
import { daemonPerTest } from "../support/daemon-per-test";
import { readJobEvents } from "../support/job-events";
import { crcOf, testImage, waitFor, type TestDaemon } from "./helpers";

const startDaemon = daemonPerTest();

/** A request with full control over headers (fetch sets Host and Origin itself). */
function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Uint8Array; agent?: Agent },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

function auth(d: TestDaemon): Record<string, string> {
  return { Authorization: `Bearer ${d.token}` };
}

async function health(d: TestDaemon): Promise<void> {
  const response = await fetch(`${d.url}/v1/health`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ name: "portrait-upscale", version: "0.1.0", protocol: 1 });
}

describe("HTTP API: security", () => {
  it("answers health without a token and refuses everything else without one", async () => {
    const daemon = await startDaemon();
    await health(daemon);
    const none = await fetch(`${daemon.url}/v1/info`);
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe("AUTH_REQUIRED");
    const wrong = await fetch(`${daemon.url}/v1/info`, { headers: { Authorization: "Bearer not-the-token-at-all" } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe("AUTH_INVALID");
    const jobs = await fetch(`${daemon.url}/v1/jobs`, { method: "POST", body: "x" });
    expect((await jobs.json()).error.code).toBe("AUTH_REQUIRED");
    const ok = await fetch(`${daemon.url}/v1/info`, { headers: auth(daemon) });
    expect(ok.status).toBe(200);
    const info = await ok.json();
    expect(info.protocol).toBe(1);
    expect(info.defaultPreset).toBe("portrait-natural");
    expect(info.limits.maxChunkBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it("refuses web-page origins and foreign Host headers, even with the token", async () => {
    const daemon = await startDaemon();
    const origin = await rawRequest(daemon.port, { path: "/v1/health", headers: { Origin: "https://evil.example" } });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body.toString()).error.code).toBe("ORIGIN_FORBIDDEN");
    const nullOrigin = await rawRequest(daemon.port, { path: "/v1/info", headers: { ...auth(daemon), Origin: "null" } });
    expect(JSON.parse(nullOrigin.body.toString()).error.code).toBe("ORIGIN_FORBIDDEN");
    const uxp = await rawRequest(daemon.port, { path: "/v1/health", headers: { Origin: "plugin://com.example.portrait" } });
    expect(uxp.status).toBe(200);
    for (const host of ["evil.example", `evil.example:${daemon.port}`, "127.0.0.1:1", `192.168.1.10:${daemon.port}`]) {
      const rebound = await rawRequest(daemon.port, { path: "/v1/info", headers: { ...auth(daemon), Host: host } });
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body.toString()).error.code).toBe("HOST_FORBIDDEN");
    }
    for (const host of [`localhost:${daemon.port}`, `[::1]:${daemon.port}`, `LOCALHOST:${daemon.port}`]) {
      const fine = await rawRequest(daemon.port, { path: "/v1/health", headers: { Host: host } });
      expect(fine.status).toBe(200);
    }
  });

  it("pairs with a one-time code, once, and rate-limits guesses", async () => {
    const daemon = await startDaemon();
    const created = await fetch(`${daemon.url}/v1/pair/code`, { method: "POST", headers: auth(daemon) });
    const { code } = await created.json();
    expect(code).toMatch(/^\d{3}-\d{3}$/);
    const paired = await fetch(`${daemon.url}/v1/pair`, { method: "POST", body: JSON.stringify({ code }) });
    expect(paired.status).toBe(200);
    expect(await paired.json()).toEqual({ token: daemon.token });
    const again = await fetch(`${daemon.url}/v1/pair`, { method: "POST", body: JSON.stringify({ code }) });
    expect(again.status).toBe(401);
    expect((await again.json()).error.code).toBe("PAIRING_INVALID");
    const bad = await fetch(`${daemon.url}/v1/pair`, { method: "POST", body: JSON.stringify({ code: "12-34" }) });
    expect((await bad.json()).error.code).toBe("MESSAGE_INVALID");
    // A fresh code, then wrong guesses on one connection: that guesser waits, the code lives on.
    const fresh = (await (await fetch(`${daemon.url}/v1/pair/code`, { method: "POST", headers: auth(daemon) })).json()).code as string;
    const wrongCode = fresh === "000-000" ? "000-001" : "000-000";
    const guesser = new Agent({ keepAlive: true, maxSockets: 1 });
    const pairOn = (agent: Agent, code: string) =>
      rawRequest(daemon!.port, { method: "POST", path: "/v1/pair", agent, headers: { Host: daemon!.hostHeader }, body: Buffer.from(JSON.stringify({ code })) });
    for (let i = 0; i < 5; i += 1) expect((await pairOn(guesser, wrongCode)).status).toBe(401);
    const throttled = await pairOn(guesser, fresh);
    expect(throttled.status).toBe(401);
    expect(throttled.headers["retry-after"]).toBeDefined();
    const body = JSON.parse(throttled.body.toString());
    expect(body.error.code).toBe("PAIRING_INVALID");
    expect(body.error.data.retryAfterSeconds).toBeGreaterThan(0);
    guesser.destroy();
    const user = new Agent({ keepAlive: false });
    const real = await pairOn(user, fresh);
    expect(real.status).toBe(200);
    expect(JSON.parse(real.body.toString())).toEqual({ token: daemon.token });
  });

  it("answers unknown paths with NOT_FOUND", async () => {
    const daemon = await startDaemon();
    const response = await fetch(`${daemon.url}/v1/nothing`, { headers: auth(daemon) });
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe("NOT_FOUND");
    const job = await fetch(`${daemon.url}/v1/jobs/j_doesnotexist`, { headers: auth(daemon) });
    expect(job.status).toBe(404);
    expect((await job.json()).error.code).toBe("JOB_UNKNOWN");
  });
});

describe("HTTP API: jobs", () => {
  it("runs a raw 16-bit RGBA job: events, status, result pixel for pixel, release", async () => {
    const daemon = await startDaemon({ config: { resultSpillBytes: 0 } });
    const pixels = testImage(32, 24, 4, 16);
    const query = `width=32&height=24&channels=4&bitDepth=16&scale=2&crc32=${crcOf(pixels)}&colorProfile=Adobe%20RGB`;
    const created = await fetch(`${daemon.url}/v1/jobs?${query}`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream" },
      body: pixels,
    });
    expect(created.status).toBe(202);
    const { id } = await created.json();
    expect(id).toMatch(/^j_/);
    const lines = await readJobEvents(daemon, id);
    expect(lines.at(-1).type).toBe("done");
    expect(lines.slice(0, -1).every((line) => line.type === "progress")).toBe(true);
    expect(lines.at(-1).result).toMatchObject({ width: 64, height: 48, channels: 4, bitDepth: 16, provider: "fake" });
    const status = await (await fetch(`${daemon.url}/v1/jobs/${id}`, { headers: auth(daemon) })).json();
    expect(status).toMatchObject({ id, state: "done", progress: 1, error: null });
    // The pipeline's notes travel with the result, in the status and in the final event alike.
    const notes = [{ code: "NO_FACE", message: "No face was found; the whole image was treated as background." }];
    expect(status.result.notes).toEqual(notes);
    expect(lines.at(-1).result.notes).toEqual(notes);
    expect(await jobFolderCount(daemon)).toBe(1);
    const result = await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth(daemon) });
    expect(result.status).toBe(200);
    expect(result.headers.get("x-image-width")).toBe("64");
    expect(result.headers.get("x-image-height")).toBe("48");
    expect(result.headers.get("x-image-channels")).toBe("4");
    expect(result.headers.get("x-image-bit-depth")).toBe("16");
    const bytes = new Uint8Array(await result.arrayBuffer());
    const expected = upscaleNearest({ kind: "raw", width: 32, height: 24, channels: 4, bitDepth: 16, bytes: pixels }, 2).bytes;
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(expected))).toBe(0);
    expect(result.headers.get("x-image-crc32")).toBe(crcOf(expected));
    const released = await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth(daemon) });
    expect((await released.json()).state).toBe("done");
    expect(await jobFolderCount(daemon)).toBe(0);
    const gone = await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth(daemon) });
    expect((await gone.json()).error.code).toBe("JOB_UNKNOWN");
    await health(daemon);
  });

  it("converts a raw result to PNG on request, keeping 16 bits", async () => {
    const daemon = await startDaemon();
    const pixels = testImage(16, 16, 3, 16, 7);
    const created = await fetch(`${daemon.url}/v1/jobs?width=16&height=16&channels=3&bitDepth=16&scale=2`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream" },
      body: pixels,
    });
    const { id } = await created.json();
    await readJobEvents(daemon, id);
    const png = await fetch(`${daemon.url}/v1/jobs/${id}/result?format=png`, { headers: auth(daemon) });
    expect(png.headers.get("content-type")).toBe("image/png");
    const { default: sharp } = await import("sharp");
    const decoded = await sharp(Buffer.from(await png.arrayBuffer())).toColourspace("rgb16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
    expect(decoded.info).toMatchObject({ width: 32, height: 32, channels: 3 });
    const expected = upscaleNearest({ kind: "raw", width: 16, height: 16, channels: 3, bitDepth: 16, bytes: pixels }, 2).bytes;
    expect(Buffer.compare(decoded.data, Buffer.from(expected))).toBe(0);
  });

  it("validates parameters with the one message shape and checks the checksum", async () => {
    const daemon = await startDaemon();
    const post = (query: string, body: Uint8Array, type = "application/octet-stream") =>
      fetch(`${daemon!.url}/v1/jobs?${query}`, { method: "POST", headers: { ...auth(daemon!), "Content-Type": type }, body });
    const pixels = testImage(8, 8, 3, 8);
    const badScale = await (await post("width=8&height=8&channels=3&bitDepth=8&scale=5", pixels)).json();
    expect(badScale.error.code).toBe("INVALID_OPTION");
    expect(badScale.error.message).toMatch(/^Expected one of 2, 3, 4, 6, 8 for query\.scale but received/);
    const unknownKey = await (await post("width=8&height=8&channels=3&bitDepth=8&colour=red", pixels)).json();
    expect(unknownKey.error.code).toBe("INVALID_OPTION");
    const missing = await (await post("width=8&channels=3&bitDepth=8", pixels)).json();
    expect(missing.error.code).toBe("INVALID_OPTION");
    const crc = await post("width=8&height=8&channels=3&bitDepth=8&crc32=00000000", pixels);
    expect(crc.status).toBe(400);
    expect((await crc.json()).error.code).toBe("CHECKSUM_MISMATCH");
    const short = await post("width=8&height=8&channels=3&bitDepth=8", pixels.subarray(0, 100));
    expect((await short.json()).error.code).toBe("INPUT_TRUNCATED");
    const preset = await (await post("width=8&height=8&channels=3&bitDepth=8&preset=no-such-preset", pixels)).json();
    expect(preset.error.code).toBe("PRESET_UNKNOWN");
    const locked = await (await post("width=8&height=8&channels=3&bitDepth=8&preset=studio-locked&scale=4", pixels)).json();
    expect(locked.error.code).toBe("PRESET_LOCKED");
    const notImage = await post("", new TextEncoder().encode("hello, not an image"), "image/png");
    expect(notImage.status).toBe(415);
    expect((await notImage.json()).error.code).toBe("INPUT_NOT_IMAGE");
    await health(daemon);
  });

  it("refuses oversized uploads early (413) and images over the pixel limits before reading them", async () => {
    const daemon = await startDaemon({ config: { limits: { maxUploadBytes: 64 * 1024, maxInputPixels: 10_000, maxOutputPixels: 100_000 } } });
    const big = new Uint8Array(1024 * 1024);
    const upload = await fetch(`${daemon.url}/v1/jobs`, { method: "POST", headers: { ...auth(daemon), "Content-Type": "image/png" }, body: big });
    expect(upload.status).toBe(413);
    expect((await upload.json()).error.code).toBe("MESSAGE_TOO_LARGE");
    const pixels = await fetch(`${daemon.url}/v1/jobs?width=200&height=100&channels=1&bitDepth=8`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream" },
      body: new Uint8Array(20_000),
    });
    expect(pixels.status).toBe(413);
    expect((await pixels.json()).error.code).toBe("INPUT_TOO_LARGE");
    const output = await fetch(`${daemon.url}/v1/jobs?width=100&height=100&channels=1&bitDepth=8&scale=8`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream" },
      body: new Uint8Array(10_000),
    });
    expect((await output.json()).error.code).toBe("OUTPUT_TOO_LARGE");
    await health(daemon);
  });

  it("cancels queued and running jobs with DELETE and reports 409 for unfinished results", async () => {
    const daemon = await startDaemon({ fake: { tiles: 50, tileDelayMs: 20 } });
    const pixels = testImage(8, 8, 1, 8);
    const submit = async () =>
      (
        await (
          await fetch(`${daemon!.url}/v1/jobs?width=8&height=8&channels=1&bitDepth=8`, {
            method: "POST",
            headers: { ...auth(daemon!), "Content-Type": "application/octet-stream" },
            body: pixels,
          })
        ).json()
      ).id as string;
    const running = await submit();
    const queued = await submit();
    await waitFor(async () => (await (await fetch(`${daemon!.url}/v1/jobs/${running}`, { headers: auth(daemon!) })).json()).state === "running");
    const early = await fetch(`${daemon.url}/v1/jobs/${queued}/result`, { headers: auth(daemon) });
    expect(early.status).toBe(409);
    expect((await early.json()).error.code).toBe("JOB_NOT_FINISHED");
    const cancelQueued = await (await fetch(`${daemon.url}/v1/jobs/${queued}`, { method: "DELETE", headers: auth(daemon) })).json();
    expect(cancelQueued.state).toBe("cancelled");
    const events = readJobEvents(daemon, running);
    const cancelRunning = await (await fetch(`${daemon.url}/v1/jobs/${running}`, { method: "DELETE", headers: auth(daemon) })).json();
    expect(cancelRunning.state).toBe("cancelled");
    expect(cancelRunning.error.code).toBe("CANCELLED");
    expect((await events).at(-1)).toEqual({ type: "cancelled", jobId: running });
    await waitFor(() => daemon!.engine.stats().running === 0);
    await health(daemon);
  });
});

describe("HTTP API: options header, review, broken uploads", () => {
  it("takes the job options from X-Job-Options and serves the review report", async () => {
    const daemon = await startDaemon();
    const pixels = testImage(8, 8, 3, 8);
    const created = await fetch(`${daemon.url}/v1/jobs`, {
      method: "POST",
      headers: {
        ...auth(daemon),
        "Content-Type": "application/octet-stream",
        "X-Job-Options": JSON.stringify({ width: 8, height: 8, channels: 3, bitDepth: 8, scale: 3, review: true }),
      },
      body: pixels,
    });
    expect(created.status).toBe(202);
    const { id } = await created.json();
    expect((await readJobEvents(daemon, id)).at(-1).result).toMatchObject({ width: 24, height: 24 });
    const review = await fetch(`${daemon.url}/v1/jobs/${id}/review`, { headers: auth(daemon) });
    expect(review.status).toBe(200);
    expect(await review.json()).toEqual({ verdict: "pass", faces: 0, checks: [] });
    const badHeader = await fetch(`${daemon.url}/v1/jobs`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream", "X-Job-Options": "{scale: 2" },
      body: pixels,
    });
    expect((await badHeader.json()).error.code).toBe("INVALID_OPTION");
  });

  it("reads review=true from X-Job-Options when the pixel layout is in the query, and refuses a key in both", async () => {
    const daemon = await startDaemon();
    const pixels = testImage(8, 8, 3, 8);
    const query = "width=8&height=8&channels=3&bitDepth=8";
    const created = await fetch(`${daemon.url}/v1/jobs?${query}`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream", "X-Job-Options": JSON.stringify({ scale: 2, review: true }) },
      body: pixels,
    });
    expect(created.status).toBe(202);
    const { id } = await created.json();
    expect((await readJobEvents(daemon, id)).at(-1).result).toMatchObject({ width: 16, height: 16 });
    const review = await fetch(`${daemon.url}/v1/jobs/${id}/review`, { headers: auth(daemon) });
    expect(review.status).toBe(200);
    expect(await review.json()).toEqual({ verdict: "pass", faces: 0, checks: [] });

    const twice = await fetch(`${daemon.url}/v1/jobs?${query}&scale=2`, {
      method: "POST",
      headers: { ...auth(daemon), "Content-Type": "application/octet-stream", "X-Job-Options": JSON.stringify({ scale: 3 }) },
      body: pixels,
    });
    expect(twice.status).toBe(400);
    expect((await twice.json()).error).toEqual({
      code: "INVALID_OPTION",
      message: "Expected scale once, in the query or in X-Job-Options, but received it in both",
      data: { path: "X-Job-Options.scale" },
    });
  });

  it("answers Expect: 100-continue only after the headers pass, so refused uploads are never sent", async () => {
    const daemon = await startDaemon({ config: { limits: { maxUploadBytes: 1000 } } });
    const { connect } = await import("node:net");
    const exchange = (head: string): Promise<string> =>
      new Promise((resolve) => {
        let text = "";
        const socket = connect(daemon!.port, "127.0.0.1", () => socket.write(head));
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          if (/\r\n\r\n/.test(text)) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on("error", () => resolve(text));
      });
    const headers = (path: string, length: number, token = daemon!.token) =>
      `POST ${path} HTTP/1.1\r\nHost: ${daemon!.hostHeader}\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;
    expect(await exchange(headers("/v1/jobs?width=8&height=8&channels=1&bitDepth=8", 64))).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(await exchange(headers("/v1/jobs?width=100&height=100&channels=1&bitDepth=8", 10_000))).toMatch(/^HTTP\/1\.1 413/);
    expect(await exchange(headers("/v1/jobs?width=8&height=8&channels=1&bitDepth=8", 64, "wrong-token-wrong-token"))).toMatch(/^HTTP\/1\.1 401/);
    expect((await fetch(`${daemon.url}/v1/health`)).status).toBe(200);
  });

  it("survives a client that hangs up in the middle of an upload", async () => {
    const daemon = await startDaemon();
    const { connect } = await import("node:net");
    await new Promise<void>((resolve) => {
      const socket = connect(daemon!.port, "127.0.0.1", () => {
        socket.write(
          `POST /v1/jobs?width=256&height=256&channels=4&bitDepth=16 HTTP/1.1\r\nHost: ${daemon!.hostHeader}\r\n` +
            `Authorization: Bearer ${daemon!.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 524288\r\n\r\n`,
        );
        socket.write(Buffer.alloc(100_000));
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    await waitFor(async () => (await fetch(`${daemon!.url}/v1/health`)).status === 200);
    expect(daemon.engine.stats()).toEqual({ queued: 0, running: 0, retained: 0 });
  });
});

async function jobFolderCount(d: TestDaemon): Promise<number> {
  const { readdir } = await import("node:fs/promises");
  return (await readdir(d.tempDir)).length;
}

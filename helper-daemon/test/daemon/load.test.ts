/**
 * Many jobs and many clients: 50 jobs in a row leave memory near where it started, four
 * clients at once are all served (fairly), an HTTP reader that hangs up mid-download hurts
 * nothing, and `serve` stops cleanly on SIGTERM with nothing left behind.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { upscaleNearest } from "../../src/jobs/fake-runner";
import { daemonPerTest } from "../support/daemon-per-test";
import { readJobEvents } from "../support/job-events";
import { crcOf, testImage, waitFor } from "./helpers";
import { CLI, REPOSITORY_ROOT, ServeProcess } from "./serve-process";
import { TestWsClient } from "./ws-client";

const startDaemon = daemonPerTest();

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i += 1) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

describe("load", () => {
  it("runs 50 jobs in a row over both transports with memory back near the baseline", async () => {
    const daemon = await startDaemon({ config: { resultSpillBytes: 64 * 1024 } });
    const client = await TestWsClient.connect(daemon);
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const run = async (index: number): Promise<void> => {
      const pixels = testImage(64, 64, 4, 16, index); // 32 KiB in, 128 KiB out: spilled to a job folder
      if (index % 2 === 0) {
        const jobId = await client.submit(pixels, { width: 64, height: 64, channels: 4, bitDepth: 16 }, { scale: 2 });
        await client.receiveResult(jobId);
        return;
      }
      const created = await fetch(`${daemon!.url}/v1/jobs?width=64&height=64&channels=4&bitDepth=16&scale=2`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/octet-stream" },
        body: pixels,
      });
      const { id } = await created.json();
      await readJobEvents(daemon!, id);
      const result = new Uint8Array(await (await fetch(`${daemon!.url}/v1/jobs/${id}/result`, { headers: auth })).arrayBuffer());
      expect(result.length).toBe(128 * 128 * 8);
      await fetch(`${daemon!.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
    };
    for (let i = 0; i < 5; i += 1) await run(i); // warm-up: code paths, buffers, sockets
    const baseline = await settledHeap();
    for (let i = 0; i < 50; i += 1) await run(100 + i);
    await waitFor(() => daemon!.engine.stats().retained === 0, 5000, "every result to be released");
    const after = await settledHeap();
    expect(await readdir(daemon.tempDir)).toEqual([]);
    // 50 jobs moved ~8 MiB of results; a leak of each would show as several MiB.
    expect(after - baseline).toBeLessThan(4 * 1024 * 1024);
    await client.close();
  });

  it("serves four clients at once, taking turns between them", async () => {
    const daemon = await startDaemon({ fake: { tiles: 3, tileDelayMs: 5 }, config: { limits: { maxJobsPerClient: 3 } } });
    const order: string[] = [];
    const clients = await Promise.all([0, 1, 2, 3].map(() => TestWsClient.connect(daemon!)));
    const results = await Promise.all(
      clients.map(async (client, c) => {
        const jobs: string[] = [];
        for (let j = 0; j < 3; j += 1) {
          const pixels = testImage(8, 8, 3, 8, c * 10 + j);
          jobs.push(await client.submit(pixels, { width: 8, height: 8, channels: 3, bitDepth: 8 }, { scale: 2 }));
        }
        const crcs: string[] = [];
        for (const [j, jobId] of jobs.entries()) {
          const { bytes } = await client.receiveResult(jobId);
          order.push(`${c}`);
          const expected = upscaleNearest({ kind: "raw", width: 8, height: 8, channels: 3, bitDepth: 8, bytes: testImage(8, 8, 3, 8, c * 10 + j) }, 2);
          crcs.push(crcOf(bytes) === crcOf(expected.bytes) ? "ok" : "wrong");
        }
        return crcs;
      }),
    );
    expect(results).toEqual([0, 1, 2, 3].map(() => ["ok", "ok", "ok"]));
    // Round-robin: every client had a job finish among the first five.
    expect(new Set(order.slice(0, 5)).size).toBe(4);
    await Promise.all(clients.map((client) => client.close()));
  });

  it("shrugs off an HTTP reader that hangs up mid-download", async () => {
    const daemon = await startDaemon({ config: { resultSpillBytes: 0 } });
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?width=512&height=512&channels=4&bitDepth=16&scale=2`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/octet-stream" },
      body: testImage(512, 512, 4, 16),
    });
    const { id } = await created.json();
    await readJobEvents(daemon, id);
    const controller = new AbortController();
    const response = await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth, signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.closed.catch(() => undefined);
    // The result is still there for a second try, then released.
    const again = await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth });
    expect((await again.arrayBuffer()).byteLength).toBe(1024 * 1024 * 8);
    await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
    expect((await fetch(`${daemon.url}/v1/health`)).status).toBe(200);
  });
});

describe("serve", () => {
  it("starts, prints how to connect, and exits 0 on SIGTERM with a job running and no files left", async () => {
    const serve = await ServeProcess.start({ args: [CLI, "serve", "--port", "0"] });
    try {
      await waitFor(() => /Press Ctrl-C to stop/.test(serve.output), 60_000, "the daemon to print how to connect");
      expect(serve.output).toMatch(/portrait-upscale token/);
      expect(serve.output).toMatch(/portrait-upscale pair/);
      expect(serve.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      if (process.platform !== "win32") expect((await stat(join(serve.configDir, "token"))).mode & 0o777).toBe(0o600);
      const health = await fetch(`${serve.url}/v1/health`);
      expect(health.status).toBe(200);
      // A real job (the 64 px fixture at ×4 with the heavy model) is running when SIGTERM arrives.
      const created = await fetch(`${serve.url}/v1/jobs?model=x4plus&scale=4`, {
        method: "POST",
        headers: { ...serve.auth, "Content-Type": "image/png" },
        body: await readFile(join(REPOSITORY_ROOT, "test/fixtures/astronaut-face-64.png")),
      });
      expect(created.status).toBe(202);
      serve.child.kill("SIGTERM");
      expect((await serve.exited).code).toBe(0);
      expect(serve.output).toMatch(/Stopped\./);
      expect(await readdir(serve.tempRoot)).toEqual([]);
    } finally {
      serve.child.kill("SIGKILL");
      await serve.stop();
    }
  });
});

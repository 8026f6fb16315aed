/**
 * End to end with the real upscale service: the same 64×64 portrait through the command
 * line, the HTTP API (Node and Python clients) and the WebSocket must give the same pixels.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main";
import { createInferencePool, type InferencePool } from "../../src/inference/index";
import { PresetStore } from "../../src/presets/index";
import { createCatalog, modelSummaries } from "../../src/server/catalog";
import { createUpscaleRunner } from "../../src/server/upscale-runner";
import { startTestDaemon, type TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, "../../../test/fixtures/astronaut-face-64.png");
const QUERY = "model=x4fast&scale=2";

let pool: InferencePool;
let presets: PresetStore;
let daemon: TestDaemon;
let work: string;
let cliPixels: { data: Buffer; width: number; height: number; channels: number };

async function pixelsOf(file: Buffer | string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pu-e2e-"));
  const out = join(work, "cli.png");
  const stream = new PassThrough();
  stream.resume();
  const code = await runCli(["upscale", fixture, "-o", out, "--model", "x4fast", "--scale", "2"], {
    stdout: stream,
    stderr: stream,
    signal: new AbortController().signal,
    cwd: work,
    env: process.env,
  });
  expect(code).toBe(0);
  cliPixels = await pixelsOf(out);
  pool = createInferencePool({ provider: "cpu" });
  presets = await PresetStore.open({ watch: "off" });
  const models = await modelSummaries();
  daemon = await startTestDaemon({
    runner: createUpscaleRunner(pool, presets, { maxInputPixels: 64_000_000, maxOutputPixels: 1_100_000_000 }),
    catalog: createCatalog(pool, presets, models),
    config: { resultSpillBytes: 0 },
  });
});

afterAll(async () => {
  const left = await daemon?.stop();
  presets?.close();
  await pool?.close();
  await rm(work, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe("daemon end to end with the real upscale service", () => {
  it("gives the CLI's pixels over HTTP with a PNG upload", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?${QUERY}`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "image/png" },
      body: await readFile(fixture),
    });
    expect(created.status).toBe(202);
    const { id } = await created.json();
    const lines = (await (await fetch(`${daemon.url}/v1/jobs/${id}/events`, { headers: auth })).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ type: "done", result: { width: 128, height: 128, models: ["realesrgan-x4fast"] } });
    const result = await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth });
    expect(result.headers.get("content-type")).toBe("image/png");
    const pixels = await pixelsOf(Buffer.from(await result.arrayBuffer()));
    expect(pixels.width).toBe(cliPixels.width);
    expect(Buffer.compare(pixels.data, cliPixels.data)).toBe(0);
    await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
    expect(await readdir(daemon.tempDir)).toEqual([]);
  });

  it("gives the CLI's pixels to a Python urllib client reading the event stream", async () => {
    const target = join(work, "python.png");
    const { stdout } = await promisify(execFile)("python3", [join(here, "fetch_job.py"), daemon.url, daemon.token, fixture, target, QUERY], {
      timeout: 120_000,
    });
    const report = JSON.parse(stdout);
    expect(report.final.type).toBe("done");
    expect(report.progress).toBeGreaterThan(0);
    const pixels = await pixelsOf(target);
    expect(Buffer.compare(pixels.data, cliPixels.data)).toBe(0);
  });

  it("gives the CLI's pixels over the WebSocket with raw pixels", async () => {
    const source = await pixelsOf(fixture);
    const client = await TestWsClient.connect(daemon);
    try {
      const jobId = await client.submit(
        new Uint8Array(source.data),
        { width: source.width, height: source.height, channels: source.channels, bitDepth: 8 },
        { scale: 2, model: "x4fast" },
      );
      const { header, bytes } = await client.receiveResult(jobId);
      expect(header.image).toMatchObject({ width: 128, height: 128, channels: source.channels, bitDepth: 8 });
      expect(header.models).toEqual(["realesrgan-x4fast"]);
      expect(Buffer.compare(Buffer.from(bytes), cliPixels.data)).toBe(0);
    } finally {
      await client.close();
    }
  });
});

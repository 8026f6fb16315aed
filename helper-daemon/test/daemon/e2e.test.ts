/**
 * End to end with the real upscale service: the same 64×64 portrait through the command
 * line's preset path, the HTTP API (Node and Python clients) and the WebSocket must give the
 * same pixels; presets are resolved (and locked ones refused) when a job is submitted.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS } from "@portrait-upscale/shared";
import { runCliCaptured } from "../support/run-cli";
import { startUpscaleDaemon, type UpscaleTestDaemon } from "../support/upscale-daemon";
import { readJobEvents } from "../support/job-events";
import type { TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, "../../../test/fixtures/astronaut-face-64.png");
/** The compact model's preset keeps the real models quick; both branches and the face detector run. */
const PRESET = "fast-preview";
const QUERY = `preset=${PRESET}`;
// Fast Preview runs x4fast alone; its fidelity branch is derived from x4fast's output.
const MODELS = ["realesrgan-x4fast"];
/** A studio preset that refuses overrides. */
const LOCKED = "studio-locked";

let service: UpscaleTestDaemon;
let daemon: TestDaemon;
let work: string;
let cliPixels: { data: Buffer; width: number; height: number; channels: number };

async function pixelsOf(file: Buffer | string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The CLI's result for the same preset, with an empty config folder: only the built-in presets, as the daemon has. */
async function cliUpscale(input: string, out: string): Promise<number> {
  const run = await runCliCaptured(["upscale", input, "-o", out, "--preset", PRESET], {
    cwd: work,
    env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(work, "config") },
  });
  return run.code;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pu-e2e-"));
  const out = join(work, "cli.png");
  expect(await cliUpscale(fixture, out)).toBe(0);
  cliPixels = await pixelsOf(out);
  const studio = join(work, "studio");
  await mkdir(studio);
  const fast = BUILT_IN_PRESETS.find((preset) => preset.id === PRESET)!;
  await writeFile(join(studio, `${LOCKED}.json`), JSON.stringify({ ...fast, id: LOCKED, name: "Studio Locked", locked: true }));
  service = await startUpscaleDaemon({ presets: { studioDir: studio }, config: { resultSpillBytes: 0 } });
  daemon = service.daemon;
});

afterAll(async () => {
  const left = await service?.stop();
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
    const lines = await readJobEvents(daemon, id);
    expect(lines.at(-1)).toMatchObject({ type: "done", result: { width: 128, height: 128, models: MODELS, provider: "cpu" } });
    // The portrait stages, in order, with the job's fraction never going back.
    const progress = lines.filter((line) => line.type === "progress");
    const stages = progress.map((line) => line.stage).filter((stage, index, all) => stage !== all[index - 1]);
    expect(stages).toEqual(expect.arrayContaining(["faces", "upscale", "blend", "encode"]));
    expect(stages.indexOf("faces")).toBeLessThan(stages.indexOf("upscale"));
    expect(stages.indexOf("upscale")).toBeLessThan(stages.indexOf("blend"));
    const fractions = progress.map((line) => line.fraction);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
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
        { preset: PRESET },
      );
      const { header, bytes } = await client.receiveResult(jobId);
      expect(header.image).toMatchObject({ width: 128, height: 128, channels: source.channels, bitDepth: 8 });
      expect(header.models).toEqual(MODELS);
      expect(Buffer.compare(Buffer.from(bytes), cliPixels.data)).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("gives the CLI's pixels for 16-bit RGBA over the WebSocket: alpha and bit depth kept", async () => {
    // 48 px of the portrait, 16 bits with low bits set, alpha varying across the image.
    const size = 48;
    const rgb = await sharp(fixture).extract({ left: 8, top: 8, width: size, height: size }).removeAlpha().raw().toBuffer();
    const wide = new Uint16Array(size * size * 4);
    for (let i = 0; i < size * size; i++) {
      for (let c = 0; c < 3; c++) wide[i * 4 + c] = Math.min(65535, rgb[i * 3 + c] * 257 + ((i + c) % 97));
      wide[i * 4 + 3] = 12_000 + Math.round((53_535 * (i % size)) / (size - 1));
    }
    const input = join(work, "rgba16.png");
    await sharp(wide, { raw: { width: size, height: size, channels: 4 } }).toColourspace("rgb16").png().toFile(input);
    const out = join(work, "rgba16-cli.png");
    expect(await cliUpscale(input, out)).toBe(0);
    // Read as the codec does: sharp keeps a 16-bit PNG's full range only as rgb16.
    const cli = await sharp(out).toColourspace("rgb16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
    expect([cli.info.width, cli.info.channels]).toEqual([96, 4]);

    const client = await TestWsClient.connect(daemon);
    try {
      const pixels = new Uint8Array(wide.buffer, wide.byteOffset, wide.byteLength);
      const jobId = await client.submit(pixels, { width: size, height: size, channels: 4, bitDepth: 16 }, { preset: PRESET });
      const { header, bytes } = await client.receiveResult(jobId);
      expect(header.image).toMatchObject({ width: 96, height: 96, channels: 4, bitDepth: 16 });
      // Raw results are little-endian, as sharp's ushort samples are on this machine.
      expect(Buffer.compare(Buffer.from(bytes), cli.data)).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("refuses overrides of a locked preset and an unknown preset when the job is submitted", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const body = await readFile(fixture);
    const post = (query: string) => fetch(`${daemon.url}/v1/jobs?${query}`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body });
    const locked = await post(`preset=${LOCKED}&creativity=0.5&scale=2`);
    expect(locked.status).toBe(409);
    expect((await locked.json()).error).toEqual({
      code: "PRESET_LOCKED",
      message: `The preset ${LOCKED} is locked; it refuses overrides of creativity.`,
      data: { preset: LOCKED, fields: ["creativity"] },
    });
    const unknown = await post("preset=no-such-preset");
    expect((await unknown.json()).error).toMatchObject({ code: "PRESET_UNKNOWN", data: { preset: "no-such-preset" } });
    // Refused before any job was made.
    expect(daemon.engine.stats()).toMatchObject({ queued: 0, running: 0 });

    const source = await pixelsOf(fixture);
    const client = await TestWsClient.connect(daemon);
    try {
      await expect(
        client.submit(new Uint8Array(source.data), { width: 64, height: 64, channels: source.channels, bitDepth: 8 }, { preset: LOCKED, model: "x4plus" }),
      ).rejects.toMatchObject({ code: "PRESET_LOCKED", message: `The preset ${LOCKED} is locked; it refuses overrides of model.` });
    } finally {
      await client.close();
    }
  });
});

// The command line's preset path, as users meet it: a child process of the bundle, its own
// config folder (user presets, studio folder), the portrait pipeline on the real models.
// Every real-model run is a tiny image through fast-preview (esrgan-thick ×2 + x4fast).
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { BUILT_IN_PRESETS, ERROR_ADVICE } from "@portrait-upscale/shared";
import { repositoryPath as repoPath } from "@portrait-upscale/models";
import { fixture, fixtureCrop } from "./support/images";
import { hasModel } from "./support/models";

const bin = repoPath("helper-daemon", "bin", "portrait-upscale.js");
const ready = ["esrgan-thick-x2", "realesrgan-x4fast", "blazeface-back-256", "blazeface-front-128"].every(hasModel);

it("has the converted models it needs (npm install converts them)", () => expect(ready).toBe(true));
const LOCKED = "studio-locked";
let folder: string;
let config: string;

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon") });
  folder = mkdtempSync(join(tmpdir(), "portrait-upscale-presets-"));
  writeFileSync(join(folder, "face.png"), fixture("astronaut-face-64.png"));
  writeFileSync(join(folder, "face-32.png"), await fixtureCrop("astronaut-face-64.png", 32, 16, 20));
  // A config folder whose config.json names a studio folder holding a locked preset.
  config = join(folder, "config");
  const studio = join(folder, "studio");
  mkdirSync(config);
  mkdirSync(studio);
  writeFileSync(join(config, "config.json"), JSON.stringify({ studioPresetFolder: studio }));
  const fast = BUILT_IN_PRESETS.find((preset) => preset.id === "fast-preview")!;
  writeFileSync(join(studio, `${LOCKED}.json`), JSON.stringify({ ...fast, id: LOCKED, name: "Studio Locked", locked: true }));
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

/**
 * Runs the CLI as a child process. Asynchronously: a synchronous spawn blocks this test
 * process, and on a loaded machine vitest's own messages to it then time out.
 */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: "utf8", cwd: folder, timeout: 110_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: config } },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ status, stdout, stderr: withoutProgress(stderr) });
      },
    );
  });
}

/** Stderr without the estimate and progress lines a non-terminal gets (tested on their own). */
function withoutProgress(text: string): string {
  return text.replace(/^(estimate|progress): .*\n/gm, "");
}

describe("portrait-upscale upscale with presets", () => {
  it("--preset fast-preview runs x4fast alone, its fidelity branch derived from it; --json names the model and the face", async () => {
    const run = await cli("upscale", "face.png", "-o", "fast.png", "--preset", "fast-preview", "--provider", "cpu", "--json");
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      ok: true,
      output: { width: 128, height: 128, channels: 3, bitDepth: 8, format: "png" },
      scale: 2,
      preset: "fast-preview",
      faces: 1,
      models: ["realesrgan-x4fast"],
      provider: "cpu",
      portrait: {
        preset: "fast-preview",
        creativity: 0.3,
        resemblance: 0.85,
        denoise: 0.1,
        branches: { fidelity: null, detail: "realesrgan-x4fast" },
        detectors: ["blazeface-back-256", "blazeface-front-128", "facemesh"],
      },
    });
    expect(result.portrait.faces).toHaveLength(1);
    expect(result.portrait.faces[0].width).toBeGreaterThan(30);
    // The 50 px face is small, and the tight crop shows no top of the head for the matte:
    // the notes are in the JSON (with their codes) and on stderr.
    expect(result.portrait.notes.map((note: { code: string }) => note.code)).toEqual(["HAIRLINE_FALLBACK", "SMALL_FACE"]);
    expect(run.stderr).toBe(result.notes.map((note: string) => `note: ${note}\n`).join(""));
    const meta = await sharp(join(folder, "fast.png")).metadata();
    expect([meta.width, meta.height]).toEqual([128, 128]);
  });

  it("is deterministic: the same input and settings give the same bytes", async () => {
    const first = await cli("upscale", "face.png", "-o", "again-1.png", "--preset", "fast-preview", "--creativity", "0.4", "--provider", "cpu");
    const second = await cli("upscale", "face.png", "-o", "again-2.png", "--preset", "fast-preview", "--creativity", "0.4", "--provider", "cpu");
    expect([first.status, second.status]).toEqual([0, 0]);
    expect(first.stderr).toMatch(/again-1\.png: 64×64 → 128×128 with preset fast-preview \(realesrgan-x4fast\), 1 face on cpu/);
    expect(Buffer.compare(readFileSync(join(folder, "again-1.png")), readFileSync(join(folder, "again-2.png")))).toBe(0);
  });

  it("overrides change the result: creativity 0 differs from the preset's 0.3", async () => {
    const run = await cli("upscale", "face.png", "-o", "calm.png", "--preset", "fast-preview", "--creativity", "0", "--provider", "cpu", "--json");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).portrait.creativity).toBe(0);
    expect(Buffer.compare(readFileSync(join(folder, "calm.png")), readFileSync(join(folder, "fast.png")))).not.toBe(0);
  });

  it("keeps alpha through the preset path: opaque stays opaque, half stays half away from the edge", async () => {
    const size = 48;
    const { data } = await sharp(fixture("astronaut-face-64.png")).extract({ left: 8, top: 8, width: size, height: size }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const rgba = Buffer.alloc(size * size * 4);
    for (let i = 0; i < size * size; i++) {
      data.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = i % size < size / 2 ? 255 : 128;
    }
    writeFileSync(join(folder, "rgba.png"), await sharp(rgba, { raw: { width: size, height: size, channels: 4 } }).png().toBuffer());
    const run = await cli("upscale", "rgba.png", "-o", "rgba-x2.png", "--preset", "fast-preview", "--provider", "cpu", "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).output).toMatchObject({ width: 96, height: 96, channels: 4, bitDepth: 8 });
    const out = await sharp(join(folder, "rgba-x2.png")).raw().toBuffer({ resolveWithObject: true });
    expect(out.info.channels).toBe(4);
    const alphaAt = (x: number, y: number): number => out.data[(y * 96 + x) * 4 + 3];
    for (const y of [0, 40, 95]) {
      for (const x of [0, 20, 40]) expect(alphaAt(x, y)).toBe(255);
      for (const x of [56, 70, 95]) expect(alphaAt(x, y)).toBe(128);
    }
  });

  it("keeps 16 bits through the preset path, low bits included", async () => {
    const size = 48;
    const { data } = await sharp(fixture("astronaut-face-64.png")).extract({ left: 8, top: 8, width: size, height: size }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const wide = new Uint16Array(size * size * 3);
    for (let i = 0; i < wide.length; i++) wide[i] = Math.min(65535, data[i] * 257 + (i % 97));
    await sharp(wide, { raw: { width: size, height: size, channels: 3 } }).toColourspace("rgb16").png().toFile(join(folder, "deep.png"));
    const run = await cli("upscale", "deep.png", "-o", "deep-x2.png", "--preset", "fast-preview", "--provider", "cpu", "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).output).toMatchObject({ width: 96, height: 96, bitDepth: 16 });
    // Read as the codec does: sharp keeps a 16-bit PNG's full range only as rgb16.
    const out = await sharp(join(folder, "deep-x2.png")).toColourspace("rgb16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
    expect((await sharp(join(folder, "deep-x2.png")).metadata()).depth).toBe("ushort");
    const samples = new Uint16Array(out.data.buffer, out.data.byteOffset, out.data.byteLength / 2);
    // An 8-bit result widened would be multiples of 257 everywhere.
    expect(samples.some((value) => value % 257 !== 0)).toBe(true);
  });

  it("warns above 4×, in the JSON with its code and on stderr", async () => {
    const run = await cli("upscale", "face-32.png", "-o", "six.png", "--preset", "fast-preview", "--scale", "6", "--provider", "cpu", "--json");
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    // No face is found in this 32-px crop, so the preview's fidelity model (faces only) does not run.
    expect(result).toMatchObject({ scale: 6, output: { width: 192, height: 192 }, portrait: { faces: [], branches: { fidelity: null, detail: "realesrgan-x4fast" } } });
    const speculative = result.portrait.notes.find((note: { code: string }) => note.code === "SPECULATIVE_SCALE");
    expect(speculative).toMatchObject({ data: { scale: 6 } });
    expect(run.stderr).toContain(`note: ${speculative.message}\n`);
  });

  it("Ctrl-C during the pipeline: exit 130, CANCELLED, no output and no temporary file", async () => {
    const dir = mkdtempSync(join(folder, "sigint-"));
    writeFileSync(join(dir, "in.png"), fixture("astronaut-face-128.png"));
    const child = spawn(process.execPath, [bin, "upscale", "in.png", "-o", "out.png", "--preset", "fast-preview", "--tile", "32"], {
      cwd: dir,
      env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: config },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // The temporary output exists once the work is under way; a moment later the models run.
    while (!readdirSync(dir).some((name) => name.endsWith(".partial"))) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGINT");
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(status).toBe(130);
    expect(withoutProgress(stderr)).toBe(`portrait-upscale: CANCELLED: The job was cancelled.\nadvice: ${ERROR_ADVICE.CANCELLED}\n`);
    expect(readdirSync(dir)).toEqual(["in.png"]);
  });

  it("carries the ICC profile through the preset path byte for byte", async () => {
    const withProfile = await sharp(fixture("astronaut-face-64.png")).extract({ left: 8, top: 8, width: 48, height: 48 }).withIccProfile("p3").png().toBuffer();
    writeFileSync(join(folder, "p3.png"), withProfile);
    const run = await cli("upscale", "p3.png", "-o", "p3-x2.png", "--preset", "fast-preview", "--provider", "cpu");
    expect(run.status).toBe(0);
    const source = (await sharp(withProfile).metadata()).icc!;
    const result = (await sharp(join(folder, "p3-x2.png")).metadata()).icc;
    expect(Buffer.from(result!).equals(source)).toBe(true);
  });

  it("runs the default preset without --preset or --model", async () => {
    expect(hasModel("realesrgan-x4plus"), "npm install converts realesrgan-x4plus").toBe(true);
    const run = await cli("upscale", "face-32.png", "-o", "default.png", "--provider", "cpu", "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      preset: "portrait-natural",
      scale: 2,
      models: ["esrgan-thick-x2", "realesrgan-x4plus"],
      output: { width: 64, height: 64 },
    });
  });

  it("--report reviews against the source with the preset's settings", async () => {
    const run = await cli("upscale", "face.png", "-o", "reviewed.png", "--preset", "fast-preview", "--provider", "cpu", "--report", "review", "--json");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).review.json).toBe(join(folder, "review", "review.json"));
    const report = JSON.parse(readFileSync(join(folder, "review", "review.json"), "utf8"));
    expect(report).toMatchObject({
      comparedWith: "source",
      facesFound: 1,
      settings: { presetId: "fast-preview", creativity: 0.3, resemblance: 0.85, denoise: 0.1 },
    });
    expect(readdirSync(join(folder, "review")).sort()).toEqual(["review.json", "review.png"]);
  });
});

describe("portrait-upscale upscale: preset errors", () => {
  it("a locked studio preset refuses overrides: PRESET_LOCKED naming the fields, exit 2", async () => {
    const run = await cli("upscale", "face.png", "-o", "never.png", "--preset", LOCKED, "--creativity", "0.5", "--scale", "2", "--json");
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`portrait-upscale: PRESET_LOCKED: The preset ${LOCKED} is locked; it refuses overrides of creativity.\nadvice: ${ERROR_ADVICE.PRESET_LOCKED}\n`);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: "PRESET_LOCKED", data: { preset: LOCKED, fields: ["creativity"] } } });
    expect(readdirSync(folder)).not.toContain("never.png");
  });

  it("an unknown preset is PRESET_UNKNOWN listing the known ones, exit 2", async () => {
    const run = await cli("upscale", "face.png", "-o", "never.png", "--preset", "no-such-look");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^portrait-upscale: PRESET_UNKNOWN: Expected one of portrait-natural, .*fast-preview, studio-locked for preset but received "no-such-look"\nadvice: .+\n$/);
  });

  it.each([
    [["--model", "x4fast", "--creativity", "0.2"], 2, 'INVALID_OPTION: Expected --preset ID alongside --creativity (--model alone runs the bare model) for --creativity but received "0.2"'],
    [["--preset", "fast-preview", "--denoise", "2"], 2, 'INVALID_OPTION: Expected a number from 0 to 1 for --denoise but received "2"'],
    [["--preset", "fast-preview", "--model", "x9"], 5, 'MODEL_UNKNOWN: Expected one of x4plus, x4fast, thick for model but received "x9"'],
  ])("refuses %j (exit %d)", async (args, exit, message) => {
    const run = await cli("upscale", "face.png", "-o", "never.png", ...args);
    expect(run.status).toBe(exit);
    expect(run.stderr.startsWith(`portrait-upscale: ${message}`)).toBe(true);
  });
});

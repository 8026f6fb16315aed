// Measuring brought models, with tiny generated models whose reach is known: the measured
// context of each; `models add` and `models measure` recording the figures (exit and error codes
// exact); modelFacts() answering with them; and tiles cut with the measured context matching an
// untiled run, from the tiled driver and through a preset on the command line. The pool needs
// `npm run build`.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelFacts } from "@portrait-upscale/models";
import { createInferencePool, InferencePool, tileRunner } from "../../src/inference/index";
import { upscaleTiled } from "../../src/tiling/tiled-upscale";
import { assumedFigures, useBroughtModelFolders } from "../../src/user-models/catalog";
import { MAX_MEASURED_CONTEXT, measureContext } from "../../src/user-models/measure";
import { readUserModels, userModelFolder, type UserModelRecord } from "../../src/user-models/registry";
import { fixturePath } from "../portrait/support";
import { runCliCaptured } from "../support/run-cli";
import { blurStackUpscaler, leftMaxUpscaler, nearestUpscaler } from "./tiny-models";

let dir: string;
let configDir: string;
let env: NodeJS.ProcessEnv;
const cli = (...args: string[]) => runCliCaptured(args, { cwd: dir, env });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "measure-"));
  configDir = join(dir, "config");
  env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: configDir };
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("measureContext: how far a model sees", () => {
  it.each([
    ["a 1×1 convolution", 0, false, 2, nearestUpscaler(2)],
    ["three 3×3 blurs", 8, false, 2, blurStackUpscaler(3, 2)],
    ["a 12-pixel reach", 16, false, 2, leftMaxUpscaler(12, 2)],
    ["a 20-pixel reach at ×4", 24, false, 4, leftMaxUpscaler(20, 4)],
    ["a 200-pixel reach (beyond the cap)", MAX_MEASURED_CONTEXT, true, 2, leftMaxUpscaler(200, 2)],
  ] as const)("%s → context %i", async (_what, context, capped, scale, bytes) => {
    const path = join(dir, "context.onnx");
    await writeFile(path, bytes);
    const pool = new InferencePool({ resolveModelPath: () => path, provider: "cpu", intraOpThreads: 1 });
    try {
      expect(await measureContext(pool, "m", scale)).toEqual({ context, capped });
    } finally {
      await pool.close();
    }
  });
});

describe("models add and models measure", () => {
  let added: UserModelRecord;

  beforeAll(async () => {
    await writeFile(join(dir, "reach.onnx"), leftMaxUpscaler(12, 2));
    await writeFile(join(dir, "plain.onnx"), nearestUpscaler(2));
    const run = await cli("models", "add", "reach.onnx", "--role", "detail", "--licence", "generated for tests", "--threads", "1", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    added = JSON.parse(run.stdout).model;
    expect((await cli("models", "add", "plain.onnx", "--role", "fidelity", "--licence", "generated for tests", "--no-measure")).code).toBe(0);
  });

  it("records the measured context, memory and cost with the provider and date", async () => {
    expect(added.measurements).toHaveLength(1);
    const [measurement] = added.measurements!;
    expect(measurement).toMatchObject({ provider: "cpu", context: 16 });
    expect(Date.parse(measurement.at)).toBeGreaterThan(Date.now() - 10 * 60_000);
    // At least the run's own tensors: 3 floats in and 3 × 2² out per input pixel.
    expect(measurement.memory!.bytesPerTilePixel).toBeGreaterThanOrEqual(60);
    expect(measurement.cost.secondsPerInputMegapixel).toBeGreaterThan(0);
    expect(measurement.method).toContain("peak RSS of whole-image runs at 64², 128², 192², median time at 64² and 128², time per pixel at the largest against realesrgan-x4fast");
    const [record] = (await readUserModels(userModelFolder(configDir))).filter((model) => model.name === "reach");
    expect(record).toEqual(added);
  });

  it("records a model added with --no-measure without figures", async () => {
    const [plain] = (await readUserModels(userModelFolder(configDir))).filter((model) => model.name === "plain");
    expect(plain.measurements).toBeUndefined();
  });

  it("measures again on request, replacing the provider's figures, and prints the table", async () => {
    const run = await cli("models", "measure", "plain", "--threads", "1");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Measured user:plain on cpu in [\d.]+ s:\nFIGURE +MEASURED +ASSUMED BEFORE\ncontext \(input px\) +0 +64\n/);
    expect(run.stdout).toMatch(/\nmemory per input pixel +[\d.]+ kB +16\.00 kB\n/);
    const again = JSON.parse((await cli("models", "measure", "plain", "--threads", "1", "--json")).stdout).model as UserModelRecord;
    expect(again.measurements).toHaveLength(1);
    expect(again.measurements![0].context).toBe(0);
  }, 240_000);

  it.each([
    [["models", "measure", "absent"], 5, "USER_MODEL_MISSING", "No model called absent is in"],
    [["models", "measure"], 2, "INVALID_OPTION", "Expected the NAME of one brought model for models measure"],
    [["models", "measure", "plain", "reach"], 2, "INVALID_OPTION", 'but received "plain reach"'],
    [["models", "weigh"], 2, "INVALID_OPTION", "Expected list, verify, add or measure for the models sub-command"],
    [["models", "measure", "plain", "--provider", "tpu"], 2, "INVALID_OPTION", "--provider"],
  ])("models %j exits %i with %s", async (args, code, errorCode, message) => {
    const run = await cli(...args, "--json");
    expect(run.code).toBe(code);
    const { error } = JSON.parse(run.stdout || run.stderr);
    expect(error.code).toBe(errorCode);
    expect(error.message).toContain(message);
  });

  describe("the facts resolver", () => {
    beforeAll(() => useBroughtModelFolders(configDir, null));

    it("answers with the measured figures on the measured provider", () => {
      const reach = modelFacts().byId("user:reach");
      const [measurement] = added.measurements!;
      expect(reach.context).toBe(16);
      expect(reach.memory("cpu")).toEqual(measurement.memory);
      expect(reach.cost("cpu")).toEqual(measurement.cost);
    });

    it("answers with x4plus's figures on a provider it was not measured on", () => {
      const reach = modelFacts().byId("user:reach");
      const x4plus = modelFacts().byId("realesrgan-x4plus");
      expect(assumedFigures("cuda")).toEqual({ context: x4plus.context, memory: x4plus.memory("cuda"), cost: x4plus.cost("cuda") });
      expect(reach.memory("cuda")).toEqual(x4plus.memory("cuda"));
      expect(reach.cost("cuda")).toEqual(x4plus.cost("cuda"));
    });
  });
});

/** The largest difference between two images' values. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe("tiles cut with the measured context", () => {
  let pool: InferencePool;

  beforeAll(async () => {
    await writeFile(join(dir, "tiles.onnx"), leftMaxUpscaler(12, 2));
    expect((await cli("models", "add", "tiles.onnx", "--role", "detail", "--licence", "generated for tests", "--threads", "1")).code).toBe(0);
    useBroughtModelFolders(configDir, null);
    pool = createInferencePool({ provider: "cpu", intraOpThreads: 1 });
  });
  afterAll(async () => pool?.close());

  it("match the untiled run within 2/255 with the measured context, and not with less", async () => {
    const width = 72;
    const height = 40;
    const rgb = Float32Array.from({ length: 3 * width * height }, (_, i) => 0.1 + 0.8 * ((((i % width) * 7 + Math.floor(i / width) * 13) * 2654435761) % 1000) / 1000);
    const image = { width, height, rgb };
    const runner = tileRunner(pool, "user:tiles");
    expect(runner.context).toBe(16);
    const whole = await upscaleTiled(image, runner, { scale: 2, maxTile: 256 });
    const tiled = await upscaleTiled(image, runner, { scale: 2, maxTile: 16, minTile: 16 });
    expect(maxDifference(tiled.rgb, whole.rgb)).toBeLessThanOrEqual(2 / 255);
    const short = await upscaleTiled(image, runner, { scale: 2, maxTile: 16, minTile: 16, context: 8 });
    expect(maxDifference(short.rgb, whole.rgb)).toBeGreaterThan(2 / 255);
  });

  it("match through a preset naming the measured model, from the command line", async () => {
    const base = JSON.parse(await readFile(new URL("../../../shared/presets/portrait-natural.json", import.meta.url), "utf8"));
    await mkdir(join(configDir, "presets"), { recursive: true });
    const preset = { ...base, id: "studio-tiles", name: "studio-tiles", scale: 2, models: { fidelity: "thick", detail: "user:tiles" }, denoise: 0 };
    await writeFile(join(configDir, "presets", "studio-tiles.json"), JSON.stringify(preset));
    const input = fixturePath("astronaut-face-128.png");
    const whole = await cli("upscale", input, "--preset", "studio-tiles", "--threads", "1", "-o", "whole.png");
    expect(whole.stderr).not.toMatch(/error/i);
    expect(whole.code).toBe(0);
    const tiled = await cli("upscale", input, "--preset", "studio-tiles", "--threads", "1", "--tile", "32", "-o", "tiled.png");
    expect(tiled.code).toBe(0);
    const pixels = async (name: string) => sharp(join(dir, name)).removeAlpha().raw().toBuffer();
    expect(maxDifference(await pixels("tiled.png"), await pixels("whole.png"))).toBeLessThanOrEqual(2);
  }, 300_000);
});

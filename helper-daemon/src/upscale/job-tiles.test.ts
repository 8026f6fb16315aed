import { describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS, DEFAULT_PRESET_ID, PortraitError, resolvePreset } from "@portrait-upscale/shared";
import { jobTiles, portraitModelIds, portraitTiles } from "./memory-plan";
import { parseUpscaleSettings } from "./settings";
import { CALIBRATION_WINDOW_BYTES_PER_OUTPUT_PIXEL, PASS_WINDOW_BYTES_PER_OUTPUT_PIXEL, reservedBytes } from "../tiling/image-memory";

const GiB = 1024 ** 3;
const natural = resolvePreset(BUILT_IN_PRESETS.find((preset) => preset.id === DEFAULT_PRESET_ID)!, {});
const portrait = { scale: 2, portrait: true } as const;
const ids = portraitModelIds(natural);

it("the default preset's sessions: thick ×2, x4plus and x4fast, which draws the detail cells off faces", () => {
  expect([...ids].sort()).toEqual(["esrgan-thick-x2", "realesrgan-x4fast", "realesrgan-x4plus"]);
});

describe("the window that calibrates the light detail model", () => {
  const options = { width: 6000, height: 4000, scale: 2, output: { channels: 3, bitDepth: 8 as const }, passWindow: 1090, sinkOutput: true };
  it("is reserved beside a pass window's planes: 48 bytes more per output pixel of the window", () => {
    const window = 1090 * 1090 * 4;
    expect(reservedBytes({ ...options, calibrationWindow: true }) - reservedBytes(options)).toBe(CALIBRATION_WINDOW_BYTES_PER_OUTPUT_PIXEL * window);
    expect(CALIBRATION_WINDOW_BYTES_PER_OUTPUT_PIXEL).toBeLessThan(PASS_WINDOW_BYTES_PER_OUTPUT_PIXEL);
  });

  it.each([
    { name: "1 MP: one window, nothing kept aside", width: 1024, height: 1024, twoPass: false, scale: 2, kept: false },
    { name: "24 MP: several windows", width: 6000, height: 4000, twoPass: false, scale: 2, kept: true },
    { name: "800² at 4× in two passes: the second pass's input is 1600²", width: 800, height: 800, twoPass: true, scale: 4, kept: true },
  ])("a portrait job's plan: $name", ({ width, height, twoPass, scale, kept }) => {
    const job = { ...parseUpscaleSettings({ model: "x4plus", scale, memoryBudget: "4G" }), portrait: { ...natural, scale: scale as 2 | 4, twoPass } };
    const shape = { scale, portrait: true } as const;
    const expected = jobTiles(portraitModelIds(job.portrait), { width, height }, { memoryBudget: 4 * GiB }, "cpu", { ...shape, calibrationWindow: kept });
    expect(portraitTiles(job, { width, height }, "cpu")).toEqual(expected);
    if (kept) expect(expected.plannedBytes).toBeLessThanOrEqual(4 * GiB);
  });
});

describe("jobTiles: the default preset's sessions, images and pass window within the job budget (manifest facts)", () => {
  it.each([
    { name: "24 MP under 4 GiB", width: 6000, height: 4000, budget: 4 * GiB, tile: 128, stages: { "realesrgan-x4plus": [448, 64] } },
    { name: "24 MP under 6 GiB", width: 6000, height: 4000, budget: 6 * GiB, tile: 448, stages: { "realesrgan-x4plus": [640, 128] } },
    { name: "1 MP under 4 GiB", width: 1024, height: 1024, budget: 4 * GiB, tile: 256, stages: { "realesrgan-x4plus": [512, 192] } },
    { name: "512² under 4 GiB", width: 512, height: 512, budget: 4 * GiB, tile: 320, stages: { "realesrgan-x4plus": [512, 384] } },
  ])("$name → tile $tile, x4plus stages $stages", ({ width, height, budget, tile, stages }) => {
    const plan = jobTiles(ids, { width, height }, { memoryBudget: budget }, "cpu", portrait);
    expect({ tile: plan.tile, stages: plan.stageTiles }).toEqual({ tile, stages });
    expect(plan.plannedBytes).toBeLessThanOrEqual(budget);
  });

  it("a budget the user set that cannot hold 24 MP is refused with OUT_OF_MEMORY, before any model runs", () => {
    expect(() => jobTiles(ids, { width: 6000, height: 4000 }, { memoryBudget: 2 * GiB }, "cpu", portrait)).toThrow(
      expect.objectContaining({ code: "OUT_OF_MEMORY", data: { budget: 2 * GiB, needed: expect.any(Number) } }) as PortraitError,
    );
  });

  it("on a GPU provider the device budget holds only the sessions: larger tiles than the CPU's under the same budget", () => {
    const cpu = jobTiles(ids, { width: 6000, height: 4000 }, { memoryBudget: 4 * GiB }, "cpu", portrait);
    const gpu = jobTiles(ids, { width: 6000, height: 4000 }, { memoryBudget: 4 * GiB }, "cuda", portrait);
    expect(gpu.tile).toBeGreaterThan(cpu.tile);
  });

  it("the user's tile wins; the stages then size themselves as before", () => {
    expect(jobTiles(ids, { width: 6000, height: 4000 }, { tile: 256, memoryBudget: GiB }, "cpu", portrait)).toEqual({ tile: 256, stageTiles: {} });
  });

  it("a bare x4plus run at 512² under 6 GiB is one untiled run of the whole model", () => {
    expect(jobTiles(["realesrgan-x4plus"], { width: 512, height: 512 }, { memoryBudget: 6 * GiB }, "cpu", { scale: 4, portrait: false })).toEqual({
      tile: 512,
      stageTiles: {},
      plannedBytes: expect.any(Number),
      relativeWork: 1,
    });
  });
});

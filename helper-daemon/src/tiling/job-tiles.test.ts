import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { candidateTiles, planJobTiles, windowBytes, workRatio, type JobModel, type JobTileOptions } from "./job-tiles";
import { MIN_TILE, TILE_STEP } from "./tile-size";

const GiB = 1024 ** 3;
/** The manifest's CPU facts, rounded as they are there. */
const thick: JobModel = { id: "thick", bytesPerTilePixel: 4_500, fixedBytes: 0, context: 8, cost: 40 };
const x4fast: JobModel = { id: "x4fast", bytesPerTilePixel: 1_100, fixedBytes: 0, context: 24, cost: 7.5 };
const x4plus: JobModel = {
  id: "x4plus",
  bytesPerTilePixel: 16_000,
  fixedBytes: 0,
  context: 64,
  cost: 95,
  stages: [
    { bytesPerTilePixel: 3_500, fixedBytes: 0, context: 64, cost: 89, scale: 1, outputChannels: 64 },
    { bytesPerTilePixel: 11_600, fixedBytes: 0, context: 4, cost: 8, scale: 4, outputChannels: 3 },
  ],
};
const x4plusWhole: JobModel = { ...x4plus, id: "x4plus-unsplit", stages: undefined };
const faces = [128 * 128, 256 * 256, 192 * 192, 256 * 256].map((pixels) => ({ bytesPerTilePixel: 100, fixedBytes: 0, pixels }));

const plan = (options: Partial<JobTileOptions> & Pick<JobTileOptions, "run" | "budget" | "models">) =>
  planJobTiles({ reserved: 0, fixedInputs: [], refuse: true, ...options });

describe("planJobTiles: every resident session's window plus the reserved bytes fit the budget", () => {
  it.each([
    { name: "thick alone, 512² under 2 GiB: untiled", run: [512, 512], budget: 2 * GiB, reserved: 0, models: [thick], tile: 512, stages: {} },
    { name: "thick alone, 2048² under 2 GiB: the largest window that fits", run: [2048, 2048], budget: 2 * GiB, reserved: 0, models: [thick], tile: 640, stages: {} },
    { name: "x4plus unsplit, 2048² under 2 GiB: as the old per-run rule", run: [2048, 2048], budget: 2 * GiB, reserved: 0, models: [x4plusWhole], tile: 192, stages: {} },
    // Split, the whole model's tile only decides that it splits; the 1 GiB of planes between the stages count.
    { name: "x4plus split, 2048² under 2 GiB: the trunk keeps wide tiles, the tail small ones", run: [2048, 2048], budget: 2 * GiB, reserved: 0, models: [x4plus], tile: 1856, stages: { x4plus: [384, 64] } },
    { name: "thick and x4plus share 4 GiB at 1 MP (1 GiB reserved)", run: [1024, 1024], budget: 4 * GiB, reserved: GiB, models: [thick, x4plus], tile: 512, stages: { x4plus: [512, 128] } },
    { name: "the same under 6 GiB: the trunk runs untiled", run: [1024, 1024], budget: 6 * GiB, reserved: GiB, models: [thick, x4plus], tile: 384, stages: { x4plus: [1024, 192] } },
    { name: "x4fast and thick at 4 MP under 1 GiB", run: [2048, 2048], budget: GiB, reserved: 0, models: [thick, x4fast], tile: 384, stages: {} },
  ])("$name", ({ run, budget, reserved, models, tile, stages }) => {
    const result = plan({ run: { width: run[0], height: run[1] }, budget, reserved, models });
    expect({ tile: result.tile, stages: result.stageTiles }).toEqual({ tile, stages });
    expect(result.plannedBytes).toBeLessThanOrEqual(budget);
  });

  it("the 24 MP default preset under 4 GiB (2.5 GB reserved: process, images, one pass window of 1218² runs)", () => {
    const reserved = 320 * 1024 ** 2 + 31 * 24e6 + 300 * 1090 * 1090 * 4;
    const result = plan({ run: { width: 1218, height: 1218 }, budget: 4 * GiB, reserved, models: [thick, x4plus], fixedInputs: faces });
    expect(result).toEqual({ tile: 192, stageTiles: { x4plus: [448, 32] }, plannedBytes: expect.any(Number), relativeWork: expect.any(Number) });
    const sessions = windowBytes(thick, 192, { width: 1218, height: 1218 }) + windowBytes(x4plus.stages![0], 448, { width: 1218, height: 1218 }) + windowBytes(x4plus.stages![1], 32, { width: 1218, height: 1218 });
    // The split model's whole session is not opened: its stages and the planes between them are.
    expect(result.plannedBytes).toBe(reserved + sessions + 256 * 1218 * 1218 + faces.reduce((sum, face) => sum + 100 * face.pixels, 0));
    expect(result.plannedBytes).toBeLessThanOrEqual(4 * GiB);
  });

  it("a budget that cannot hold the smallest tiles and the images is refused with OUT_OF_MEMORY and the bytes needed", () => {
    const refused = () => plan({ run: { width: 1218, height: 1218 }, budget: 2 * GiB, reserved: 1.9 * GiB, models: [thick, x4plus] });
    expect(refused).toThrow(PortraitError);
    try {
      refused();
    } catch (error) {
      expect((error as PortraitError).code).toBe("OUT_OF_MEMORY");
      expect((error as PortraitError).data).toEqual({ budget: 2 * GiB, needed: expect.any(Number) });
      expect(((error as PortraitError).data as { needed: number }).needed).toBeGreaterThan(2 * GiB);
      expect((error as PortraitError).message).toMatch(/^The memory budget of 2\.00 GiB cannot hold this job even with the smallest tiles: it needs at least 2\.\d\d GiB\. Raise --memory-budget/);
    }
  });

  it("the machine's default budget is not refused: the smallest tiles run", () => {
    const result = planJobTiles({ run: { width: 1218, height: 1218 }, budget: 2 * GiB, reserved: 1.9 * GiB, models: [thick, x4plus], fixedInputs: [], refuse: false });
    expect(result.tile).toBe(MIN_TILE);
    expect(Object.values(result.stageTiles).flat().every((tile) => tile === MIN_TILE)).toBe(true);
  });

  it("tiles are the whole run, multiples of TILE_STEP or MIN_TILE, and depend only on the inputs", () => {
    for (const budget of [1.5, 2, 3, 4, 6, 8].map((g) => g * GiB)) {
      const options = { run: { width: 1500, height: 1000 }, budget, reserved: 0.5 * GiB, models: [thick, x4plus] };
      const result = plan(options);
      for (const tile of [result.tile, ...Object.values(result.stageTiles).flat()]) {
        expect(tile === 1500 || tile === MIN_TILE || tile % TILE_STEP === 0).toBe(true);
      }
      expect(plan(options)).toEqual(result);
    }
  });

  it("more budget never plans more model work", () => {
    const work = (budget: number): number => {
      const result = plan({ run: { width: 1218, height: 1218 }, budget, reserved: GiB, models: [thick, x4plus] });
      const run = { width: 1218, height: 1218 };
      const [trunk, tail] = result.stageTiles.x4plus ?? [];
      const x4plusWork = trunk === undefined ? 95 * workRatio(result.tile, 64, run) : 89 * workRatio(trunk, 64, run) + 8 * workRatio(tail, 4, run);
      return 40 * workRatio(result.tile, 8, run) + x4plusWork;
    };
    const budgets = [2, 2.5, 3, 4, 5, 6, 8, 12].map((g) => g * GiB);
    const works = budgets.map(work);
    for (let i = 1; i < works.length; i++) expect(works[i]).toBeLessThanOrEqual(works[i - 1]);
  });
});

describe("workRatio and windowBytes", () => {
  it.each([
    { tile: 1024, context: 64, edge: 1024, ratio: 1 },
    { tile: 512, context: 64, edge: 1024, ratio: ((1024 + 128) / 1024) ** 2 },
    { tile: 256, context: 4, edge: 1024, ratio: ((1024 + 24) / 1024) ** 2 },
  ])("tile $tile, context $context over $edge² → $ratio", ({ tile, context, edge, ratio }) => {
    expect(workRatio(tile, context, { width: edge, height: edge })).toBeCloseTo(ratio, 12);
  });

  it("a window is the tile and its context, never more than the run", () => {
    expect(windowBytes(thick, 256, { width: 4000, height: 3000 })).toBe(4_500 * 272 * 272);
    expect(windowBytes(thick, 256, { width: 100, height: 3000 })).toBe(4_500 * 100 * 272);
  });

  it("candidates: the whole run, then multiples of 64 below it, then 32", () => {
    expect(candidateTiles({ width: 300, height: 200 })).toEqual([300, 256, 192, 128, 64, MIN_TILE]);
    expect(candidateTiles({ width: 20, height: 10 })).toEqual([MIN_TILE]);
  });
});

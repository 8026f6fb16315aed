import { describe, expect, it } from "vitest";
import { intermediateBytes, needsTiling, planStageTiles, runsSplit, wholeWindowBytes } from "./stage-plan";

// x4plus and its stages as the manifest gives them on CPU.
const whole = { bytesPerTilePixel: 16_000, fixedBytes: 0, context: 64 };
const trunk = { bytesPerTilePixel: 3_500, fixedBytes: 0, context: 64 };
const tail = { bytesPerTilePixel: 11_600, fixedBytes: 0, context: 4 };

describe("planStageTiles", () => {
  it.each([
    // image, the whole model's tile, → trunk and tail tiles
    ["2048² under 6 GiB (whole tile 448)", 2048, 2048, 448, [1088, 640]],
    ["2048² under 3 GiB (whole tile 320)", 2048, 2048, 320, [768, 512]],
    ["1072² detail window under 6 GiB", 1072, 1072, 448, [1072, 640]],
    ["6000×4000 under 6 GiB", 6000, 4000, 448, [1088, 640]],
    ["a user's tile 32", 512, 512, 32, [192, 128]],
    ["a strip that fits both stages whole", 200, 32, 32, [200, 200]],
  ] as const)("%s", (_name, width, height, wholeTile, expected) => {
    expect(planStageTiles({ width, height, wholeTile, whole, stages: [trunk, tail] })).toEqual(expected);
  });

  it("each stage's window fits the memory of the whole model's window", () => {
    const budget = wholeWindowBytes(448, whole);
    const [trunkTile, tailTile] = planStageTiles({ width: 4096, height: 4096, wholeTile: 448, whole, stages: [trunk, tail] });
    expect(trunk.bytesPerTilePixel * (trunkTile + 2 * trunk.context) ** 2).toBeLessThanOrEqual(budget);
    expect(tail.bytesPerTilePixel * (tailTile + 2 * tail.context) ** 2).toBeLessThanOrEqual(budget);
  });
});

describe("needsTiling", () => {
  it.each([
    [256, 256, 128, 64, false],
    [257, 100, 128, 64, true],
    [100, 257, 128, 64, true],
    [2048, 2048, 4096, 64, false],
  ] as const)("%i×%i, tile %i, context %i → %s", (width, height, tile, context, expected) => {
    expect(needsTiling(width, height, tile, context)).toBe(expected);
  });
});

describe("runsSplit", () => {
  const stages = [
    { scale: 1, outputChannels: 64 },
    { scale: 4, outputChannels: 3 },
  ];
  it.each([
    ["2048² at tile 448: the 1 GiB feature map fits one 5.3 GB window", 2048, 2048, 448, true],
    ["a 1072² detail window at tile 448", 1072, 1072, 448, true],
    ["512² that fits untiled", 512, 512, 4096, false],
    ["24 MP at tile 448: 6.1 GB of features do not fit, the whole model tiles", 6000, 4000, 448, false],
    ["24 MP at tile 960 (a 24 GB budget)", 6000, 4000, 960, true],
  ] as const)("%s → %s", (_name, width, height, tile, expected) => {
    expect(runsSplit(width, height, tile, whole, stages)).toBe(expected);
  });

  it("counts the planes between stages only", () => {
    expect(intermediateBytes(2048, 2048, stages)).toBe(2048 * 2048 * 256);
    expect(intermediateBytes(10, 10, [{ scale: 2, outputChannels: 8 }, { scale: 1, outputChannels: 16 }, { scale: 2, outputChannels: 3 }])).toBe(8 * 4 * 400 + 16 * 4 * 400);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REDUCED_DETAIL, detailModel, detailReduction } from "../../src/portrait/branch-models";
import { modelInputSize, modelRegion, plannedRuns, planWindows } from "../../src/portrait/route-plan";
import { reduceInput } from "../../src/portrait/reduced-input";
import type { RouteGrid } from "../../src/portrait/routing";
import { cropImage } from "../../src/image/crop";
import type { RgbImage } from "../../src/image/image";

const natural = { models: { fidelity: "thick" as const, detail: "x4plus" as const } };

// Off in the presets (it did not hold the quality bench); these tests are of the mechanism.
beforeEach(() => {
  REDUCED_DETAIL.enabled = true;
});
afterEach(() => {
  REDUCED_DETAIL.enabled = false;
});

describe("which detail runs go on the source reduced", () => {
  it.each([
    { name: "x4plus at 2×: the source halved, its 4× is the pass's 2×", choice: "x4plus", native: 4, scale: 2, expected: 2 },
    { name: "x4plus at 3×: halved would reach only 2×", choice: "x4plus", native: 4, scale: 3, expected: 1 },
    { name: "x4plus at 4×: the full source", choice: "x4plus", native: 4, scale: 4, expected: 1 },
    { name: "x4fast (a preview) is not in the table", choice: "x4fast", native: 4, scale: 2, expected: 1 },
  ])("$name", ({ choice, native, scale, expected }) => {
    expect(detailReduction(choice, native, scale)).toBe(expected);
  });

  it("turned off (as the presets ship), every detail run takes the full source", () => {
    REDUCED_DETAIL.enabled = false;
    expect(detailReduction("x4plus", 4, 2)).toBe(1);
  });

  it("a halved detail model's context is its manifest context in source pixels plus Lanczos-3's reach", () => {
    const full = detailModel(natural, 4)!;
    const halved = detailModel(natural, 2)!;
    expect(full.reduction).toBe(1);
    expect(halved).toEqual({ ...full, reduction: 2, context: 2 * full.context + 6 });
  });
});

describe("the source region a model run reads", () => {
  const model = (context: number, reduction: number) => ({ context, reduction });
  it.each([
    { name: "full source: the rectangle with its context, clipped", rect: { x: 10, y: 5, width: 20, height: 20 }, m: model(8, 1), size: [100, 100], expected: { x: 2, y: 0, width: 36, height: 33 } },
    { name: "halved: edges moved out onto even pixels", rect: { x: 11, y: 5, width: 20, height: 21 }, m: model(8, 2), size: [100, 100], expected: { x: 2, y: 0, width: 38, height: 34 } },
    { name: "halved at an odd image edge: clipped, its last reduced pixel partial", rect: { x: 80, y: 80, width: 19, height: 19 }, m: model(8, 2), size: [99, 99], expected: { x: 72, y: 72, width: 27, height: 27 } },
  ])("$name", ({ rect, m, size, expected }) => {
    const region = modelRegion(rect, m, size[0], size[1]);
    expect(region).toEqual(expected);
    expect(region.x % m.reduction).toBe(0);
    expect(region.y % m.reduction).toBe(0);
  });

  it.each([
    { region: { x: 0, y: 0, width: 38, height: 34 }, reduction: 2, expected: { width: 19, height: 17 } },
    { region: { x: 72, y: 72, width: 27, height: 27 }, reduction: 2, expected: { width: 14, height: 14 } },
    { region: { x: 3, y: 1, width: 27, height: 5 }, reduction: 1, expected: { width: 27, height: 5 } },
  ])("the model's input for $region.width×$region.height at 1/$reduction: $expected.width×$expected.height", ({ region, reduction, expected }) => {
    expect(modelInputSize(region, reduction)).toEqual(expected);
  });
});

describe("the plan prices what the models see", () => {
  it("a halved detail model's planned runs are a quarter of its full-source runs' pixels (the same rectangles)", () => {
    const cells = new Uint8Array(64).fill(1);
    const routes: RouteGrid = { cell: 32, columns: 8, rows: 8, detail: cells, fidelity: cells };
    const fidelity = { id: "esrgan-thick-x2", nativeScale: 2, reduction: 1, context: 8 };
    const runsWith = (enabled: boolean) => {
      REDUCED_DETAIL.enabled = enabled;
      const options = { width: 256, height: 256, fidelity, detail: detailModel(natural, 2), lightDetail: null };
      return plannedRuns(planWindows(routes, { ...options, windows: [{ x: 0, y: 0, width: 256, height: 256 }], blendContext: 33 }), options);
    };
    expect(runsWith(false)).toEqual([
      { modelId: "esrgan-thick-x2", width: 256, height: 256 },
      { modelId: "realesrgan-x4plus", width: 256, height: 256 },
    ]);
    expect(runsWith(true)).toEqual([
      { modelId: "esrgan-thick-x2", width: 256, height: 256 },
      { modelId: "realesrgan-x4plus", width: 128, height: 128 },
    ]);
  });
});

/** A smooth image with fine texture, so a reduction's kernel reach shows if a crop gets it wrong. */
function patterned(width: number, height: number): RgbImage {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) rgb[c * n + y * width + x] = 0.5 + 0.3 * Math.sin(x * 0.9 + c) * Math.cos(y * 1.3) + 0.1 * ((x * 7 + y * 3) % 5) / 5;
  return { width, height, rgb };
}

describe("reducing a model's input", () => {
  it("a constant image stays constant, an odd edge counts as a whole reduced pixel", () => {
    const image: RgbImage = { width: 7, height: 5, rgb: new Float32Array(3 * 35).fill(0.25) };
    const reduced = reduceInput(image, 2);
    expect([reduced.width, reduced.height]).toEqual([4, 3]);
    for (const v of reduced.rgb) expect(v).toBeCloseTo(0.25, 6);
  });

  it("a region on the reduction's grid reduces to the whole image's reduced pixels beyond the kernel's reach", () => {
    const image = patterned(64, 48);
    const whole = reduceInput(image, 2);
    const region = { x: 10, y: 8, width: 40, height: 30 };
    const part = reduceInput(cropImage(image, region), 2);
    // Lanczos-3 at 1/2 reads 6 source pixels: 3 reduced pixels in from the crop's edges.
    let worst = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 3; y < part.height - 3; y++)
        for (let x = 3; x < part.width - 3; x++) {
          const a = part.rgb[c * part.width * part.height + y * part.width + x];
          const b = whole.rgb[c * whole.width * whole.height + (y + region.y / 2) * whole.width + x + region.x / 2];
          worst = Math.max(worst, Math.abs(a - b));
        }
    expect(worst).toBeLessThan(1e-6);
  });

  it("a factor of 1 returns the image itself", () => {
    const image = patterned(8, 8);
    expect(reduceInput(image, 1)).toBe(image);
  });
});

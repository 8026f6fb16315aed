import { describe, expect, it } from "vitest";
import { calibrationWindow, LIGHT_GAIN, lightBandGain, ringBandRatio } from "../../src/portrait/light-gain";
import { routeWeights, type RouteGrid } from "../../src/portrait/routing";
import type { Plane } from "../../src/image/plane";

/** A grid of 32 px cells from rows of characters: F the detail model's cell, L the light model's, . neither. */
function grid(rows: readonly string[]): RouteGrid {
  const columns = rows[0].length;
  const cells = (ch: string) => Uint8Array.from(rows.join(""), (c) => (ch.includes(c) ? 1 : 0));
  return { cell: 32, columns, rows: rows.length, detail: cells("FL"), fidelity: cells("F"), lightDetail: cells("L") };
}

describe("the light detail model's gain", () => {
  it.each([
    { ratio: null, scale: 2, gain: LIGHT_GAIN.withoutRing, why: "no ring: the bench's middle gain" },
    { ratio: Number.NaN, scale: 2, gain: LIGHT_GAIN.withoutRing, why: "an unmeasurable ring counts as none" },
    { ratio: 1.5, scale: 2, gain: 2.25, why: "2×: the ratio squared" },
    { ratio: 1.5, scale: 4, gain: 1.5 ** 1.5, why: "4×: the ratio to the power 1.5" },
    { ratio: 1.5, scale: 3, gain: 1.5 ** 1.75, why: "3×: the power between" },
    { ratio: 1.2, scale: 8, gain: 1.2 ** 1.5, why: "beyond 4×: 4×'s power" },
    { ratio: 0.8, scale: 2, gain: 1, why: "never below the light model's plain weight" },
    { ratio: 3, scale: 2, gain: LIGHT_GAIN.max, why: "never above the limit" },
  ])("ratio $ratio at $scale× gives $gain ($why)", ({ ratio, scale, gain }) => {
    expect(lightBandGain(ratio, scale)).toBeCloseTo(gain, 12);
  });
});

describe("the window that calibrates a pass", () => {
  const rect = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });

  it.each([
    { rows: ["FFLL....", "FFLL...."], windows: [rect(0, 0, 128, 64), rect(128, 0, 128, 64)], expected: 0, why: "the face's neighbours are in the first" },
    { rows: ["....LLFF", "....LLFF"], windows: [rect(0, 0, 128, 64), rect(128, 0, 128, 64)], expected: 1, why: "the window owning the touching light cells" },
    { rows: ["LLL.LLFF", "LLL.LLFF"], windows: [rect(0, 0, 160, 64), rect(160, 0, 96, 64)], expected: 1, why: "more touching cells, though fewer light cells" },
    { rows: ["LF..FL..", "LF..FL.."], windows: [rect(0, 0, 128, 64), rect(128, 0, 128, 64)], expected: 0, why: "a tie: the first" },
    { rows: ["LLLL....", "LLLL...."], windows: [rect(0, 0, 128, 64), rect(128, 0, 128, 64)], expected: -1, why: "no face: no ring" },
    { rows: ["FF..LL..", "FF..LL.."], windows: [rect(0, 0, 256, 64)], expected: -1, why: "light cells apart from the face" },
  ])("$rows.0 over $windows.length window(s): $expected ($why)", ({ rows, windows, expected }) => {
    expect(calibrationWindow(grid(rows), windows)).toBe(expected);
  });

  it("none without a light detail model", () => {
    const { lightDetail: _, ...withoutLight } = grid(["FFLL"]);
    expect(calibrationWindow(withoutLight, [rect(0, 0, 128, 32)])).toBe(-1);
  });
});

describe("the ring's band ratio", () => {
  // Two cells of the detail model beside two of the light model's, at 2×: 256×64 output pixels.
  const routes = grid(["FFLL", "FFLL"]);
  const viewOut = { x: 0, y: 0, width: 256, height: 128 };
  const weights = (cells: Uint8Array) => routeWeights(routes, cells, viewOut, 2);
  const source: Plane = { width: 128, height: 64, data: new Float32Array(128 * 64).fill(0.5) };
  /** The source enlarged, plus a checkerboard of `amplitude` (a band the agreement gate passes when small). */
  const textured = (amplitude: number): Plane => {
    const data = new Float32Array(256 * 128);
    for (let y = 0; y < 128; y++) for (let x = 0; x < 256; x++) data[y * 256 + x] = 0.5 + amplitude * ((x + y) % 2 ? 1 : -1);
    return { width: 256, height: 128, data };
  };

  it("is 1 for the same band, and follows the band kept where both ran", () => {
    expect(ringBandRatio(textured(0.002), textured(0.002), source, routes, weights)).toBeCloseTo(1, 6);
    const ratio = ringBandRatio(textured(0.004), textured(0.002), source, routes, weights)!;
    // A checkerboard vanishes at the source's size, so the gate stays open: twice the band.
    expect(ratio).toBeCloseTo(2, 2);
  });

  it("is null where the two models did not both run", () => {
    const faceOnly = grid(["FF..", "FF.."]);
    const w = (cells: Uint8Array) => routeWeights(faceOnly, cells, viewOut, 2);
    expect(ringBandRatio(textured(0.004), textured(0.002), source, faceOnly, w)).toBeNull();
  });
});

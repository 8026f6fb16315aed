import { describe, expect, it } from "vitest";
import { bilinearTap, sampleTap } from "./bilinear";

// A 3×2 grid, two planes: the second is the first plus 10.
//   0 1 2
//   3 4 5
const GRID = Float32Array.from([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
const at = (x: number, y: number, plane = 0): number => sampleTap(GRID, plane * 6, bilinearTap(x, y, 3, 2));

describe("bilinear sampling", () => {
  it.each([
    ["a sample centre", 1, 1, 4],
    ["halfway along a row", 0.5, 0, 0.5],
    ["halfway down a column", 2, 0.5, 3.5],
    ["the middle of four samples", 1.5, 0.5, 3],
    ["a quarter of the way in both directions", 0.25, 0.25, 1],
    ["beyond the left edge (clamped)", -4, 0, 0],
    ["beyond the bottom-right corner (clamped)", 9, 9, 5],
    ["half a pixel outside the top edge (clamped)", 1, -0.5, 1],
  ])("at %s", (_, x, y, expected) => {
    expect(at(x, y)).toBeCloseTo(expected, 6);
  });

  it("reads the plane at the offset with the same tap", () => {
    const tap = bilinearTap(1.5, 0.5, 3, 2);
    expect([sampleTap(GRID, 0, tap), sampleTap(GRID, 6, tap)]).toEqual([3, 13]);
  });

  it("keeps a one-sample grid's value everywhere", () => {
    const one = Float32Array.of(0.25);
    for (const [x, y] of [[0, 0], [-1, 3], [0.7, 0.2]]) expect(sampleTap(one, 0, bilinearTap(x, y, 1, 1))).toBe(0.25);
  });
});

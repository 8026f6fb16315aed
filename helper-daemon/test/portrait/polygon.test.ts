// Feathered polygon masks and the distances behind them, on shapes whose answers are known.
import { describe, expect, it } from "vitest";
import { featheredPolygonMask } from "../../src/portrait/masks";
import { polygonSignedDistance, polylineDistance } from "../../src/portrait/polygon";

/** A 10×10 square from (5, 5) to (15, 15). */
const square = [
  { x: 5, y: 5 },
  { x: 15, y: 5 },
  { x: 15, y: 15 },
  { x: 5, y: 15 },
];

describe("polygonSignedDistance", () => {
  it.each([
    ["the centre", 10, 10, -5],
    ["inside, near the left edge", 6, 10, -1],
    ["on the edge", 15, 10, 0],
    ["outside, right of the edge", 18, 10, 3],
    ["outside, off a corner", 18, 19, 5],
  ])("%s (%d, %d) → %d", (_, x, y, expected) => {
    expect(polygonSignedDistance(square, x, y)).toBeCloseTo(expected, 6);
  });

  it("treats a concave outline's notch as outside", () => {
    // A U shape: the notch between the arms is outside.
    const u = [
      { x: 0, y: 0 },
      { x: 4, y: 0 },
      { x: 4, y: 10 },
      { x: 6, y: 10 },
      { x: 6, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 12 },
      { x: 0, y: 12 },
    ];
    expect(polygonSignedDistance(u, 5, 5)).toBeCloseTo(1, 6);
    expect(polygonSignedDistance(u, 2, 5)).toBeCloseTo(-2, 6);
  });
});

describe("polylineDistance", () => {
  it.each([
    [5, 0, 0],
    [5, 3, 3],
    [-4, 3, 5],
    [12, 4, 2],
  ])("(%d, %d) to the line (0,0)–(10,0)–(10,10) → %d", (x, y, expected) => {
    expect(polylineDistance([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }], x, y)).toBeCloseTo(expected, 6);
  });
});

describe("featheredPolygonMask", () => {
  const at = (grow: number) => {
    const mask = featheredPolygonMask(square, 24, 24, 2, grow);
    return (x: number, y: number): number => mask.data[y * 24 + x];
  };
  it.each([
    ["deep inside", 10, 10, 1],
    ["one feather inside the edge", 13, 10, 1],
    ["on the outline", 15, 10, 0.5],
    ["one feather outside", 17, 10, 0],
    ["far outside", 22, 22, 0],
  ])("%s (%d, %d) → %d", (_, x, y, expected) => {
    expect(at(0)(x, y)).toBeCloseTo(expected, 6);
  });

  it("grows the edge outwards by `grow` pixels", () => {
    expect(at(2)(17, 10)).toBeCloseTo(0.5, 6);
    expect(at(2)(15, 10)).toBeCloseTo(1, 6);
  });

  it("falls off smoothly: no step larger than a feather's share", () => {
    const mask = featheredPolygonMask(square, 24, 24, 3);
    let step = 0;
    for (let y = 0; y < 24; y++) for (let x = 1; x < 24; x++) step = Math.max(step, Math.abs(mask.data[y * 24 + x] - mask.data[y * 24 + x - 1]));
    expect(step).toBeLessThan(0.3);
  });
});

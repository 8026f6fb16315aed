import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { createTileLayout, layoutAxis } from "./tile-layout";

/** Sums every tile's weight at every output position of one axis (float64, exact for 2^-16 steps). */
function axisSums(length: number, tile: number, context: number, scale: number): Float64Array {
  const sums = new Float64Array(length * scale);
  for (const span of layoutAxis(length, tile, context, scale)) {
    for (let i = 0; i < span.weights.length; i++) sums[span.outputStart + i] += span.weights[i];
  }
  return sums;
}

const axisCases = [
  { name: "smaller than a tile", length: 40, tile: 64, context: 16, scale: 4, count: 1 },
  { name: "fits a tile with its context", length: 96, tile: 64, context: 16, scale: 4, count: 1 },
  { name: "one more than a tile with its context", length: 97, tile: 64, context: 16, scale: 4, count: 2 },
  { name: "exact multiple of the tile", length: 192, tile: 64, context: 16, scale: 2, count: 3 },
  { name: "off by one below a multiple", length: 191, tile: 64, context: 16, scale: 2, count: 3 },
  { name: "off by one above a multiple", length: 193, tile: 64, context: 16, scale: 2, count: 4 },
  { name: "1 px wide", length: 1, tile: 64, context: 16, scale: 4, count: 1 },
  { name: "no context", length: 100, tile: 32, context: 0, scale: 3, count: 4 },
  { name: "odd context", length: 150, tile: 33, context: 7, scale: 2, count: 5 },
  { name: "tile 32 with x4plus's context", length: 300, tile: 32, context: 48, scale: 4, count: 10 },
  { name: "context larger than the tile", length: 100, tile: 8, context: 16, scale: 1, count: 13 },
  { name: "tiny tiles", length: 9, tile: 1, context: 2, scale: 4, count: 9 },
  { name: "context of 1", length: 20, tile: 3, context: 1, scale: 2, count: 7 },
  { name: "huge image", length: 30_000, tile: 512, context: 48, scale: 4, count: 59 },
  { name: "two tiles (x4plus's trunk at 2048)", length: 2048, tile: 1088, context: 64, scale: 1, count: 2 },
];

describe("layoutAxis", () => {
  it.each([
    // length, tile, context → window: two tiles have one seam, so one context each; more tiles need both sides.
    [2048, 1088, 64, 1088],
    [97, 64, 16, 65],
    [192, 64, 16, 96],
    [2048, 448, 64, 538],
  ])("%i px at tile %i with context %i: windows of %i", (length, tile, context, window) => {
    expect(new Set(layoutAxis(length, tile, context, 1).map((span) => span.inputSize))).toEqual(new Set([window]));
  });

  it.each(axisCases)("$name: weights sum to exactly 1 and cover every output pixel", ({ length, tile, context, scale, count }) => {
    const spans = layoutAxis(length, tile, context, scale);
    expect(spans.length).toBe(count);
    const sums = axisSums(length, tile, context, scale);
    for (let i = 0; i < sums.length; i++) if (sums[i] !== 1) throw new Error(`weight sum ${sums[i]} at output ${i}`);
    for (const span of spans) {
      // Every window has the same size: the largest core plus the context, within the image.
      expect(span.inputSize).toBe(spans[0].inputSize);
      expect(span.inputSize).toBeLessThanOrEqual(Math.min(tile + 2 * context, length));
      expect(span.inputStart).toBeGreaterThanOrEqual(0);
      expect(span.inputStart + span.inputSize).toBeLessThanOrEqual(length);
      expect(span.outputStart).toBeGreaterThanOrEqual(span.inputStart * scale);
      expect(span.outputStart + span.weights.length).toBeLessThanOrEqual((span.inputStart + span.inputSize) * scale);
      for (const w of span.weights) expect(w >= 0 && w <= 1).toBe(true);
    }
    // Core sizes differ by at most one pixel ("even tiles") and never exceed the tile.
    const cores = spans.map((s) => s.coreEnd - s.coreStart);
    expect(Math.max(...cores) - Math.min(...cores)).toBeLessThanOrEqual(1);
    if (count > 1) expect(Math.max(...cores)).toBeLessThanOrEqual(tile);
  });

  it.each(axisCases.filter((c) => c.count > 1))("$name: every kept core has the whole context around it", ({ length, tile, context, scale }) => {
    for (const span of layoutAxis(length, tile, context, scale)) {
      // The full context, or all the image there is on that side.
      expect(span.coreStart - span.inputStart).toBeGreaterThanOrEqual(Math.min(context, span.coreStart));
      expect(span.inputStart + span.inputSize - span.coreEnd).toBeGreaterThanOrEqual(Math.min(context, length - span.coreEnd));
    }
  });

  it("uses no output closer than seven eighths of the context to a window's inner edge", () => {
    const scale = 4;
    const context = 16;
    const spans = layoutAxis(300, 64, context, scale);
    for (const span of spans.slice(1)) expect(span.outputStart).toBeGreaterThanOrEqual((span.inputStart + (7 * context) / 8) * scale);
    for (const span of spans.slice(0, -1)) {
      expect(span.outputStart + span.weights.length).toBeLessThanOrEqual((span.inputStart + span.inputSize - (7 * context) / 8) * scale);
    }
  });

  it("crossfades with a half-sine ramp over a quarter of the context around each boundary", () => {
    const [first, second] = layoutAxis(150, 64, 32, 1);
    const boundary = first.coreEnd;
    const weightOfSecond = (x: number) => second.weights[x - second.outputStart] ?? 0;
    expect(weightOfSecond(boundary - 5)).toBe(0);
    expect(weightOfSecond(boundary + 4)).toBe(1);
    // Pixel centres boundary-0.5 and boundary+0.5 sit 3.5 and 4.5 px into the 8 px ramp.
    expect(weightOfSecond(boundary - 1)).toBeCloseTo(0.5 - 0.5 * Math.cos((Math.PI * 3.5) / 8), 4);
    expect(weightOfSecond(boundary)).toBeCloseTo(0.5 - 0.5 * Math.cos((Math.PI * 4.5) / 8), 4);
  });
});

describe("createTileLayout", () => {
  const cases = [
    { width: 33, height: 47, tile: 12, context: 2, scale: 2 },
    { width: 64, height: 64, tile: 48, context: 8, scale: 4 },
    { width: 65, height: 1, tile: 24, context: 4, scale: 4 },
    { width: 1, height: 1, tile: 16, context: 8, scale: 1 },
    { width: 200, height: 130, tile: 32, context: 48, scale: 4 },
  ];
  it.each(cases)("$width×$height, tile $tile, context $context, ×$scale: 2D weights sum to exactly 1", ({ width, height, tile, context, scale }) => {
    const layout = createTileLayout({ width, height, tile, context, scale });
    const outWidth = width * scale;
    const sums = new Float64Array(outWidth * height * scale);
    for (const tile of layout.tiles) {
      expect(tile.input.width).toBe(layout.tileWidth);
      expect(tile.input.height).toBe(layout.tileHeight);
      for (let y = 0; y < tile.output.height; y++) {
        for (let x = 0; x < tile.output.width; x++) sums[(tile.output.y + y) * outWidth + tile.output.x + x] += tile.weightsX[x] * tile.weightsY[y];
      }
      expect(tile.outputOffsetX + tile.output.width).toBeLessThanOrEqual(tile.input.width * scale);
      expect(tile.outputOffsetY + tile.output.height).toBeLessThanOrEqual(tile.input.height * scale);
    }
    for (let i = 0; i < sums.length; i++) if (sums[i] !== 1) throw new Error(`weight sum ${sums[i]} at ${i}`);
    expect(layout.tiles.map((t) => t.index)).toEqual(layout.tiles.map((_, i) => i));
  });

  it("a huge image is laid out without per-pixel storage", () => {
    const layout = createTileLayout({ width: 100_000, height: 100_000, tile: 512, scale: 4 });
    expect(layout.context).toBe(16);
    expect(layout.tiles.length).toBe(196 * 196);
    expect(layout.tileWidth).toBe(543); // 196 even cores of ≤ 511 px plus 16 px of context on each side
    expect(layout.tiles[1].weightsY).toBe(layout.tiles[0].weightsY);
  });

  it("refuses bad parameters with the one message shape", () => {
    const call = () => createTileLayout({ width: 10, height: 10, tile: 0 });
    expect(call).toThrow(PortraitError);
    expect(call).toThrow("Expected a positive integer for tile but received 0 of type number");
    expect(() => createTileLayout({ width: 10, height: 10, tile: 64, scale: 1.5 })).toThrow("Expected a positive integer for scale but received 1.5 of type number");
  });
});

import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { chooseTileSize, createTileLayout, layoutAxis } from "./tile-layout";

/** Sums every tile's weight at every output position of one axis (float64, exact for 2^-16 steps). */
function axisSums(length: number, maxTile: number, overlap: number, scale: number): Float64Array {
  const sums = new Float64Array(length * scale);
  for (const span of layoutAxis(length, maxTile, Math.min(overlap, Math.floor(maxTile / 2)), scale)) {
    for (let i = 0; i < span.weights.length; i++) sums[span.outputStart + i] += span.weights[i];
  }
  return sums;
}

const axisCases = [
  { name: "smaller than a tile", length: 40, maxTile: 64, overlap: 16, scale: 4, count: 1 },
  { name: "exactly one tile", length: 64, maxTile: 64, overlap: 16, scale: 4, count: 1 },
  { name: "one more than a tile", length: 65, maxTile: 64, overlap: 16, scale: 4, count: 2 },
  { name: "exact multiple of the core", length: 96, maxTile: 64, overlap: 16, scale: 2, count: 2 },
  { name: "off by one below a multiple", length: 95, maxTile: 64, overlap: 16, scale: 2, count: 2 },
  { name: "off by one above a multiple", length: 97, maxTile: 64, overlap: 16, scale: 2, count: 3 },
  { name: "1 px wide", length: 1, maxTile: 64, overlap: 16, scale: 4, count: 1 },
  { name: "no overlap", length: 100, maxTile: 32, overlap: 0, scale: 3, count: 4 },
  { name: "odd overlap", length: 150, maxTile: 40, overlap: 7, scale: 2, count: 5 },
  { name: "overlap larger than half the tile", length: 100, maxTile: 16, overlap: 16, scale: 1, count: 13 },
  { name: "tiny tiles", length: 9, maxTile: 2, overlap: 16, scale: 4, count: 9 },
  { name: "overlap of 1", length: 20, maxTile: 4, overlap: 1, scale: 2, count: 7 },
  { name: "huge image", length: 30_000, maxTile: 512, overlap: 16, scale: 4, count: 61 },
];

describe("layoutAxis", () => {
  it.each(axisCases)("$name: weights sum to exactly 1 and cover every output pixel", ({ length, maxTile, overlap, scale, count }) => {
    const effective = Math.min(overlap, Math.floor(maxTile / 2));
    const spans = layoutAxis(length, maxTile, effective, scale);
    expect(spans.length).toBe(count);
    const sums = axisSums(length, maxTile, overlap, scale);
    for (let i = 0; i < sums.length; i++) if (sums[i] !== 1) throw new Error(`weight sum ${sums[i]} at output ${i}`);
    for (const span of spans) {
      // Every window has the same size, fits the maximum and the image, and contains its weights.
      expect(span.inputSize).toBe(spans[0].inputSize);
      expect(span.inputSize).toBeLessThanOrEqual(Math.min(maxTile, length));
      expect(span.inputStart).toBeGreaterThanOrEqual(0);
      expect(span.inputStart + span.inputSize).toBeLessThanOrEqual(length);
      expect(span.outputStart).toBeGreaterThanOrEqual(span.inputStart * scale);
      expect(span.outputStart + span.weights.length).toBeLessThanOrEqual((span.inputStart + span.inputSize) * scale);
      for (const w of span.weights) expect(w >= 0 && w <= 1).toBe(true);
    }
    // Core sizes differ by at most one pixel ("even tiles").
    const cores = spans.map((s) => s.coreEnd - s.coreStart);
    expect(Math.max(...cores) - Math.min(...cores)).toBeLessThanOrEqual(1);
  });

  it("never uses the outer quarter of an overlap next to a window edge", () => {
    const scale = 4;
    const overlap = 16;
    const spans = layoutAxis(300, 128, overlap, scale);
    for (const span of spans.slice(1)) expect(span.outputStart).toBeGreaterThanOrEqual((span.inputStart + overlap / 4) * scale);
    for (const span of spans.slice(0, -1)) {
      expect(span.outputStart + span.weights.length).toBeLessThanOrEqual((span.inputStart + span.inputSize - overlap / 4) * scale);
    }
  });

  it("crossfades with a half-sine ramp over the middle half of the overlap", () => {
    const [first, second] = layoutAxis(100, 64, 16, 1);
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
    { width: 33, height: 47, maxTile: 16, overlap: 4, scale: 2 },
    { width: 64, height: 64, maxTile: 64, overlap: 16, scale: 4 },
    { width: 65, height: 1, maxTile: 32, overlap: 8, scale: 4 },
    { width: 1, height: 1, maxTile: 32, overlap: 16, scale: 1 },
  ];
  it.each(cases)("$width×$height, tile $maxTile, overlap $overlap, ×$scale: 2D weights sum to exactly 1", ({ width, height, maxTile, overlap, scale }) => {
    const layout = createTileLayout({ width, height, maxTile, overlap, scale });
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
    const layout = createTileLayout({ width: 100_000, height: 100_000, maxTile: 512, scale: 4 });
    expect(layout.overlap).toBe(32);
    expect(layout.tiles.length).toBe(209 * 209);
    expect(layout.tileWidth).toBe(511); // 209 even cores of ≤ 479 px plus the overlap
    expect(layout.tiles[1].weightsY).toBe(layout.tiles[0].weightsY);
  });

  it("refuses bad parameters with the one message shape", () => {
    const call = () => createTileLayout({ width: 10, height: 10, maxTile: 1 });
    expect(call).toThrow(PortraitError);
    expect(call).toThrow("Expected an integer of at least 2 for maxTile but received 1 of type number");
    expect(() => createTileLayout({ width: 10, height: 10, maxTile: 64, scale: 1.5 })).toThrow("Expected a positive integer for scale but received 1.5 of type number");
  });
});

describe("chooseTileSize", () => {
  it.each([
    { availableBytes: 4e9, modelBytesPerPixel: 20_000, expected: 312 },
    { availableBytes: 64e9, modelBytesPerPixel: 2_600, expected: 512 },
    { availableBytes: 1e6, modelBytesPerPixel: 20_000, expected: 32 },
    { availableBytes: 1e9, modelBytesPerPixel: 2_600, fixedBytes: 1e8, expected: 392 },
  ])("$availableBytes B at $modelBytesPerPixel B/px → $expected", (options) => {
    expect(chooseTileSize(options)).toBe(options.expected);
  });

  it("an override wins, and is validated", () => {
    expect(chooseTileSize({ modelBytesPerPixel: 20_000, override: 200 })).toBe(200);
    expect(() => chooseTileSize({ modelBytesPerPixel: 20_000, override: 8 })).toThrow("Expected an integer of at least 32 for tile but received 8 of type number");
  });

  it("uses free memory by default", () => {
    const tile = chooseTileSize({ modelBytesPerPixel: 20_000 });
    expect(tile).toBeGreaterThanOrEqual(32);
    expect(tile).toBeLessThanOrEqual(512);
  });
});

import { describe, expect, it } from "vitest";
import { coverCost, coverRoutedCells } from "../../src/portrait/route-cover";
import { handOverRing, routeWeights, type RouteGrid } from "../../src/portrait/routing";

const CELL = 8;

/** A grid from rows of "1"/"0"; the same cells for both branches. */
function gridOf(rows: readonly string[]): RouteGrid {
  const cells = Uint8Array.from(rows.join(""), (ch) => (ch === "1" ? 1 : 0));
  return { cell: CELL, columns: rows[0].length, rows: rows.length, detail: cells, fidelity: cells };
}

const whole = (grid: RouteGrid) => ({ x: 0, y: 0, width: grid.columns * CELL, height: grid.rows * CELL });

describe("the cover of routed cells", () => {
  it.each([
    ["nothing routed: no rectangle", ["0000", "0000", "0000"], 0, [] as object[]],
    ["one cell: the cell and its ring", ["0000", "0010", "0000"], 0, [{ x: 12, y: 4, width: 16, height: 16 }]],
    ["a column of cells: one rectangle", ["0100", "0100", "0100"], 0, [{ x: 4, y: 0, width: 16, height: 24 }]],
    [
      "two far cells, no context: two rectangles (their box costs more)",
      ["1000", "0000", "0001"],
      0,
      [
        { x: 0, y: 0, width: 12, height: 12 },
        { x: 20, y: 12, width: 12, height: 12 },
      ],
    ],
    ["two far cells, a wide context: one rectangle (cheaper than two contexts)", ["1000", "0000", "0001"], 64, [{ x: 0, y: 0, width: 32, height: 24 }]],
    [
      "an L, small context: the bar and the foot",
      ["1000", "1000", "1111"],
      0,
      [
        { x: 0, y: 0, width: 12, height: 20 },
        { x: 0, y: 12, width: 32, height: 12 },
      ],
    ],
  ] as const)("%s", (_, rows, context, expected) => {
    const grid = gridOf(rows);
    expect(coverRoutedCells(grid, grid.detail, { window: whole(grid), width: 32, height: 24, ring: handOverRing(grid), context })).toEqual(expected);
  });

  it.each([
    ["a window the ring does not reach: nothing", { x: 0, y: 0, width: 8, height: 24 }, []],
    ["a window the ring reaches: the part inside it", { x: 0, y: 0, width: 14, height: 24 }, [{ x: 12, y: 4, width: 2, height: 16 }]],
    ["a window inside the cell: all of it", { x: 17, y: 9, width: 4, height: 4 }, [{ x: 17, y: 9, width: 4, height: 4 }]],
  ] as const)("clips to the window: %s", (_, window, expected) => {
    const grid = gridOf(["0000", "0010", "0000"]);
    expect(coverRoutedCells(grid, grid.detail, { window, width: 32, height: 24, ring: handOverRing(grid), context: 8 })).toEqual(expected);
  });

  it("costs each rectangle with its context, clipped to the image", () => {
    expect(coverCost([{ x: 12, y: 4, width: 16, height: 16 }], 4, 32, 24)).toBe(24 * 24);
    expect(coverCost([{ x: 0, y: 0, width: 12, height: 12 }], 8, 32, 24)).toBe(20 * 20);
  });

  it("covers every output pixel the hand-over gives weight, on scattered cells, in any window", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 20; trial++) {
      const rows = Array.from({ length: 6 }, () => Array.from({ length: 9 }, () => (random() < 0.25 ? "1" : "0")).join(""));
      const grid = gridOf(rows);
      const [width, height] = [9 * CELL - 3, 6 * CELL - 5];
      const window = { x: Math.floor(random() * 20), y: Math.floor(random() * 12), width: 30, height: 25 };
      const context = [0, 8, 64][trial % 3];
      const rects = coverRoutedCells(grid, grid.detail, { window, width, height, ring: handOverRing(grid), context });
      const first = coverRoutedCells(grid, grid.detail, { window, width, height, ring: handOverRing(grid), context });
      expect(rects).toEqual(first);
      const weights = routeWeights(grid, grid.detail, window, 1);
      for (let y = 0; y < window.height; y++)
        for (let x = 0; x < window.width; x++) {
          const px = window.x + x;
          const py = window.y + y;
          if (px >= width || py >= height || weights.data[y * window.width + x] === 0) continue;
          const inside = rects.some((r) => px >= r.x && px < r.x + r.width && py >= r.y && py < r.y + r.height);
          expect(inside, `${rows.join("/")} at ${px},${py}`).toBe(true);
        }
    }
  });
});

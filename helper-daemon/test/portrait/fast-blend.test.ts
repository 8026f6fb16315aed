import { describe, expect, it } from "vitest";
import { limitOvershoot } from "../../src/portrait/blend";
import { localMinMax } from "../../src/image/filters";
import { routeWeights, type RouteGrid } from "../../src/portrait/routing";
import type { Plane } from "../../src/image/plane";

/** The hand-over weights as first written: every pixel looks at its 3×3 cells. */
function referenceWeights(grid: RouteGrid, cells: Uint8Array, width: number, height: number, scale: number): Float32Array {
  const data = new Float32Array(width * height);
  const size = grid.cell * scale;
  const ramp = (d: number) => {
    const t = 1 - Math.min(1, d / (size / 2));
    return t * t * (3 - 2 * t);
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [px, py] = [x + 0.5, y + 0.5];
      const [c, r] = [Math.floor(px / size), Math.floor(py / size)];
      let w = 0;
      for (let rr = Math.max(0, r - 1); rr <= Math.min(grid.rows - 1, r + 1); rr++)
        for (let cc = Math.max(0, c - 1); cc <= Math.min(grid.columns - 1, c + 1); cc++) {
          if (!cells[rr * grid.columns + cc]) continue;
          const dx = Math.max(0, cc * size - px, px - (cc + 1) * size);
          const dy = Math.max(0, rr * size - py, py - (rr + 1) * size);
          w = Math.max(w, ramp(dx) * ramp(dy));
        }
      data[y * width + x] = w;
    }
  return data;
}

function wavy(width: number, height: number): Plane {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = 0.5 + 0.3 * Math.sin(i * 0.37) * Math.cos(i * 0.013);
  return { width, height, data };
}

describe("the fast blend gives the same pixels", () => {
  it.each([1, 2, 4])("hand-over weights at %i× equal the per-pixel reference, including past the grid", (scale) => {
    const cells = Uint8Array.from("100110001000011000100101", (ch) => Number(ch));
    const grid: RouteGrid = { cell: 8, columns: 6, rows: 4, detail: cells, fidelity: cells };
    const [width, height] = [6 * 8 * scale + 3, 4 * 8 * scale];
    const fast = routeWeights(grid, cells, { x: 0, y: 0, width, height }, scale).data;
    expect(Array.from(fast)).toEqual(Array.from(referenceWeights(grid, cells, width, height, scale)));
  });

  it.each([2, 3, 4])("the overshoot guard at %i× gives the same bytes with the range handed in", (scale) => {
    const reference = wavy(64, 48);
    const result = { ...reference, data: reference.data.map((v, i) => v + 0.1 * Math.sin(i)) };
    const range = localMinMax(reference, Math.max(2, Math.round(scale / 2)));
    expect(Buffer.from(limitOvershoot(result, reference, 1, scale, range).data.buffer)).toEqual(Buffer.from(limitOvershoot(result, reference, 1, scale).data.buffer));
  });
});

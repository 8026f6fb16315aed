import { describe, expect, it } from "vitest";
import type { Face } from "../../src/portrait/faces";
import { ROUTING, cellTexture, fullDetailCells, handOverRing, planRoutes, routeWeights, type RouteInput } from "../../src/portrait/routing";
import type { Plane } from "../../src/image/plane";

const CELL = 8;

/**
 * A 4×3-cell luma plane (8 px cells): each cell is flat grey or a checkerboard whose
 * amplitude is given, so its mean |Laplacian| is known (a checker of amplitude a: 8a
 * inside the cell, less at its borders).
 */
function lumaOf(cells: readonly (readonly number[])[]): Plane {
  const rows = cells.length;
  const columns = cells[0].length;
  const width = columns * CELL;
  const height = rows * CELL;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const a = cells[Math.floor(y / CELL)][Math.floor(x / CELL)];
      data[y * width + x] = 0.5 + ((x + y) % 2 ? a : -a);
    }
  return { width, height, data };
}

function faceAt(x: number, y: number, size: number): Face {
  const p = (u: number, v: number) => ({ x: x + u * size, y: y + v * size });
  return {
    box: { x, y, width: size, height: size },
    score: 0.9,
    keypoints: { rightEye: p(0.3, 0.35), leftEye: p(0.7, 0.35), noseTip: p(0.5, 0.55), mouth: p(0.5, 0.75), rightEar: p(0.05, 0.45), leftEar: p(0.95, 0.45) },
  };
}

const rows = (cells: Uint8Array, columns: number): string[] => {
  const out: string[] = [];
  for (let r = 0; r < cells.length / columns; r++) out.push(Array.from(cells.subarray(r * columns, (r + 1) * columns)).join(""));
  return out;
};

const flat = [
  [0, 0, 0, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
];
const oneTextured = [
  [0, 0, 0, 0],
  [0, 0, 0.05, 0],
  [0, 0, 0, 0],
];
/** A wall with sensor noise: texture between the fidelity and the detail thresholds. */
const noisyWall = [
  [0.0025, 0.0025, 0.0025, 0.0025],
  [0.0025, 0.0025, 0.0025, 0.0025],
  [0.0025, 0.0025, 0.0025, 0.0025],
];
const noisyWallWithTexture = [
  [0.0025, 0.0025, 0.0025, 0.0025],
  [0.0025, 0.0025, 0.05, 0.0025],
  [0.0025, 0.0025, 0.0025, 0.0025],
];

const base: Omit<RouteInput, "sourceLuma"> = { faces: [], faceScale: 1, detail: true, fidelity: "edges", backgroundDetail: 0.3, derivedFidelity: "detail" };

describe("routing", () => {
  it.each([
    ["a flat image needs no model", flat, base, ["0000", "0000", "0000"], ["0000", "0000", "0000"]],
    ["one textured cell gets the detail model, its fidelity branch derived from it", oneTextured, base, ["0000", "0010", "0000"], ["0000", "0000", "0000"]],
    ["a noisy wall gets the fidelity model, not the detail model", noisyWall, base, ["0000", "0000", "0000"], ["1111", "1111", "1111"]],
    ["a face gets the detail model alone on a flat image", flat, { ...base, faces: [faceAt(1, 1, 4)] }, ["1000", "0000", "0000"], ["0000", "0000", "0000"]],
    ["faces are found in the original's pixels (second pass at 2×)", flat, { ...base, faces: [faceAt(7, 5, 2)], faceScale: 2 }, ["0000", "0110", "0000"], ["0000", "0000", "0000"]],
    ["a textured cell on a noisy wall: the fidelity model only around it", noisyWallWithTexture, base, ["0000", "0010", "0000"], ["1111", "1101", "1111"]],
    ["a face on a noisy wall: the fidelity model only beside it", noisyWall, { ...base, faces: [faceAt(10, 1, 4)] }, ["0100", "0000", "0000"], ["1011", "1111", "1111"]],
    ["derived outside faces: a face keeps the fidelity model", noisyWall, { ...base, faces: [faceAt(10, 1, 4)], derivedFidelity: "outside-faces" }, ["0100", "0000", "0000"], ["1111", "1111", "1111"]],
    ["derived outside faces: texture off the face does not", noisyWallWithTexture, { ...base, faces: [faceAt(1, 1, 4)], derivedFidelity: "outside-faces" }, ["1000", "0010", "0000"], ["1111", "1101", "1111"]],
    ["no detail model: only the fidelity routes", oneTextured, { ...base, detail: false }, ["0000", "0000", "0000"], ["0000", "0010", "0000"]],
    ["a classical fidelity branch runs no model", oneTextured, { ...base, fidelity: "nowhere" }, ["0000", "0010", "0000"], ["0000", "0000", "0000"]],
    ["a preview's fidelity model would run on faces only, where the detail model runs: nowhere", oneTextured, { ...base, fidelity: "faces", faces: [faceAt(1, 1, 4)] }, ["1000", "0010", "0000"], ["0000", "0000", "0000"]],
    ["not derived: the fidelity model also under the detail model", noisyWallWithTexture, { ...base, derivedFidelity: "nowhere" }, ["0000", "0010", "0000"], ["1111", "1111", "1111"]],
    ["a preview, not derived: the fidelity model on faces", oneTextured, { ...base, fidelity: "faces", faces: [faceAt(1, 1, 4)], derivedFidelity: "nowhere" }, ["1000", "0010", "0000"], ["1000", "0000", "0000"]],
    ["a preview with no detail outside faces: still nowhere", oneTextured, { ...base, fidelity: "faces", faces: [faceAt(1, 1, 4)], backgroundDetail: 0 }, ["1000", "0000", "0000"], ["0000", "0000", "0000"]],
    ["no creativity outside faces: texture alone asks for no detail", oneTextured, { ...base, backgroundDetail: 0 }, ["0000", "0000", "0000"], ["0000", "0010", "0000"]],
  ] as const)("%s", (_, cells, input, detail, fidelity) => {
    const grid = planRoutes({ ...input, sourceLuma: lumaOf(cells) }, CELL);
    expect([grid.columns, grid.rows]).toEqual([4, 3]);
    expect(rows(grid.detail, 4)).toEqual(detail);
    expect(rows(grid.fidelity, 4)).toEqual(fidelity);
  });

  it.each([
    ["texture off faces goes to the light detail model", oneTextured, { ...base, lightDetail: true }, ["0000", "0010", "0000"], ["0000", "0000", "0000"]],
    [
      "a face keeps the detail model, texture beside it the light one",
      noisyWallWithTexture,
      { ...base, lightDetail: true, faces: [faceAt(1, 1, 4)], derivedFidelity: "nowhere" },
      ["0000", "0010", "0000"],
      ["1000", "0000", "0000"],
    ],
    ["a face's widened box is the detail model's even where it is textured", oneTextured, { ...base, lightDetail: true, faces: [faceAt(12, 6, 6)] }, ["0000", "0000", "0000"], ["0110", "0110", "0000"]],
    ["without a light model every detail cell is the detail model's", noisyWallWithTexture, { ...base, faces: [faceAt(1, 1, 4)], derivedFidelity: "nowhere" }, ["0000", "0000", "0000"], ["1000", "0010", "0000"]],
    ["no creativity outside faces: nothing for the light model", oneTextured, { ...base, lightDetail: true, faces: [faceAt(1, 1, 4)], backgroundDetail: 0 }, ["0000", "0000", "0000"], ["1000", "0000", "0000"]],
    ["no detail model: no light model either", oneTextured, { ...base, lightDetail: true, detail: false }, ["0000", "0000", "0000"], ["0000", "0000", "0000"]],
  ] as const)("light detail: %s", (_, cells, input, light, full) => {
    const grid = planRoutes({ ...input, sourceLuma: lumaOf(cells) }, CELL);
    expect(rows(grid.lightDetail!, 4)).toEqual(light);
    expect(rows(fullDetailCells(grid), 4)).toEqual(full);
    // Together they are the detail branch's cells, each cell with one model.
    for (let i = 0; i < grid.detail.length; i++) expect(grid.detail[i]).toBe(grid.lightDetail![i] | fullDetailCells(grid)[i]);
  });

  it("marks the derived cells: the detail cells the fidelity model left", () => {
    const grid = planRoutes({ ...base, faces: [faceAt(1, 1, 4)], derivedFidelity: "outside-faces", sourceLuma: lumaOf(noisyWallWithTexture) }, CELL);
    expect(rows(grid.derived!, 4)).toEqual(["0000", "0010", "0000"]);
    expect(rows(planRoutes({ ...base, derivedFidelity: "nowhere", sourceLuma: lumaOf(noisyWallWithTexture) }, CELL).derived!, 4)).toEqual(["0000", "0000", "0000"]);
  });

  it("is deterministic: the same source and faces give the same routes", () => {
    const input = { ...base, faces: [faceAt(17, 2, 5)], sourceLuma: lumaOf(oneTextured) };
    expect(planRoutes(input, CELL)).toEqual(planRoutes(input, CELL));
  });

  it("measures a checkerboard's texture and a flat cell's as zero", () => {
    const texture = cellTexture(lumaOf(oneTextured), CELL);
    expect(texture.data[0]).toBe(0);
    // 8a inside the cell; at its border a neighbour is flat, so the mean is a little lower.
    expect(texture.data[6]).toBeGreaterThan(0.3);
    expect(texture.data[6]).toBeLessThanOrEqual(0.4);
    expect(ROUTING.detailTexture).toBeLessThan(0.3);
  });

  it("hands over smoothly: weight 1 on the routed cell, 0 from the next cell's centre, no step", () => {
    const grid = planRoutes({ ...base, sourceLuma: lumaOf(oneTextured) }, CELL);
    const scale = 2;
    const all = { x: 0, y: 0, width: 4 * CELL * scale, height: 3 * CELL * scale };
    const w = routeWeights(grid, grid.detail, all, scale).data;
    const at = (x: number, y: number) => w[y * all.width + x];
    // Cell (2, 1) is routed: output pixels 32..47 × 16..31.
    for (let y = 16; y < 32; y++) for (let x = 32; x < 48; x++) expect(at(x, y)).toBe(1);
    // The neighbours' centres and beyond: 0.
    expect(at(23, 24)).toBe(0);
    expect(at(56, 24)).toBe(0);
    expect(at(0, 0)).toBe(0);
    let step = 0;
    for (let y = 0; y < all.height; y++) for (let x = 1; x < all.width; x++) step = Math.max(step, Math.abs(at(x, y) - at(x - 1, y)));
    expect(step).toBeLessThan(0.2);
    // Nothing beyond the hand-over ring around the routed cell (source pixels 12..28 × 4..20).
    const ring = handOverRing(grid) * scale;
    for (let y = 0; y < all.height; y++)
      for (let x = 0; x < all.width; x++) if (x < 32 - ring || x >= 48 + ring || y < 16 - ring || y >= 32 + ring) expect(at(x, y)).toBe(0);
  });
});

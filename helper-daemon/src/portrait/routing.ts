/**
 * Routing: before any model runs, decide per cell of the source which branches need a
 * model there. The detail model's output is kept mostly in faces, hair and textured areas;
 * on a studio backdrop, bokeh, sky or a smooth fold it adds almost nothing the blend keeps,
 * and there the fidelity model draws what Lanczos-3 draws. Deterministic: the same source
 * and faces always give the same routes.
 */
import type { PixelRect } from "../image/crop";
import type { Face } from "./faces";
import type { Plane } from "../image/plane";
import { laplacian } from "../image/filters";

/** The routing constants, named so the bench can report what it measured. */
export const ROUTING = {
  /** Cell edge, source pixels: small enough to follow a head's outline, large enough to be cheap. */
  cell: 32,
  /**
   * Mean |3×3 Laplacian| of the source's luma (0..1) from which a cell is texture the detail
   * model should draw (hair, fabric, foliage). Measured on the fixtures at 512²: clear sky
   * 0.006–0.008, a plain studio wall with sensor noise 0.017–0.024, hair and the suit's
   * folds 0.05–0.3.
   */
  detailTexture: 0.03,
  /** The same measure from which the fidelity model draws better than Lanczos-3 (any edge). */
  fidelityTexture: 0.015,
  /** A face's box widened by this fraction of its width on every side: eyes, brows, hairline, ears. */
  faceMargin: 0.35,
} as const;

/**
 * Which branches need their model, per cell, row-major. A model runs on these cells and a
 * ring of half a cell around them ({@link handOverRing}), where its output fades out.
 */
export interface RouteGrid {
  /** Cell edge, source pixels. */
  readonly cell: number;
  readonly columns: number;
  readonly rows: number;
  /** 1 where the detail model's output is kept whole. */
  readonly detail: Uint8Array;
  /**
   * 1 where the fidelity model's output is kept whole: never where the fidelity branch is
   * derived (`derived`); elsewhere Lanczos-3.
   */
  readonly fidelity: Uint8Array;
  /** 1 where the fidelity branch is derived from the detail model's output (absent: nowhere). */
  readonly derived?: Uint8Array;
  /**
   * 1 where the detail branch comes from the light detail model (a subset of `detail`; absent:
   * nowhere): the detail model itself runs on the rest of `detail` ({@link fullDetailCells}).
   */
  readonly lightDetail?: Uint8Array;
}

/** Where the fidelity model may run (see {@link RouteInput}). */
export type FidelityReach = "edges" | "faces" | "nowhere";

/** What routing looks at. */
export interface RouteInput {
  /** The source's luma at the pass's input size. */
  readonly sourceLuma: Plane;
  /** Faces in the coordinates of the original image. */
  readonly faces: readonly Face[];
  /** Pass input size ÷ original size (2 for the second pass of a 2×2× run). */
  readonly faceScale: number;
  /** Whether a detail model is used at all (false: fidelity alone). */
  readonly detail: boolean;
  /** Where the fidelity model may run: wherever the source has an edge, on faces only (a preview), or nowhere. */
  readonly fidelity: FidelityReach;
  /** The highest detail factor outside faces (creativity × the background and hair factors); 0 turns detail off there. */
  readonly backgroundDetail: number;
  /** Where the fidelity branch is derived from the detail model's output instead of running the fidelity model. */
  readonly derivedFidelity: DerivedFidelity;
  /** Whether a light detail model draws the detail cells off faces (the preset's detail model keeps the faces); false unless given. */
  readonly lightDetail?: boolean;
}

/**
 * Where the fidelity branch is derived from the detail model's output (derived-fidelity.ts):
 * nowhere, on the detail model's cells outside faces (faces keep the fidelity model), or on
 * all of the detail model's cells.
 */
export type DerivedFidelity = "nowhere" | "outside-faces" | "detail";

/**
 * Mean absolute 3×3 Laplacian of `luma` per `cell`×`cell` cell (edge cells partial): a cheap
 * measure of how much fine detail the source itself has there.
 *
 * @example cellTexture(luma(image), 32).data[0] // the top-left cell's texture
 */
export function cellTexture(luma: Plane, cell: number): Plane {
  const columns = Math.ceil(luma.width / cell);
  const rows = Math.ceil(luma.height / cell);
  const lap = laplacian(luma).data;
  const sum = new Float32Array(columns * rows);
  const count = new Float32Array(columns * rows);
  for (let y = 0; y < luma.height; y++) {
    const row = Math.floor(y / cell) * columns;
    for (let x = 0; x < luma.width; x++) {
      const c = row + Math.floor(x / cell);
      sum[c] += Math.abs(lap[y * luma.width + x]);
      count[c]++;
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] /= count[i];
  return { width: columns, height: rows, data: sum };
}

/**
 * The routes for one pass: the detail model where a face is or the source has texture (off
 * faces the light detail model, where `lightDetail`), the fidelity model wherever there is any
 * edge (a preview: on faces only) unless its branch is derived there from the detail model's
 * output (`derivedFidelity`).
 *
 * @example const routes = planRoutes({ sourceLuma, faces, faceScale: 1, detail: true, fidelity: "edges", backgroundDetail: 0.3, derivedFidelity: "outside-faces" });
 */
export function planRoutes(input: RouteInput, cell: number = ROUTING.cell): RouteGrid {
  const texture = cellTexture(input.sourceLuma, cell);
  const { width: columns, height: rows } = texture;
  const faceCells = new Uint8Array(columns * rows);
  for (const face of input.faces) {
    const margin = face.box.width * ROUTING.faceMargin;
    const x0 = (face.box.x - margin) * input.faceScale;
    const y0 = (face.box.y - margin) * input.faceScale;
    const x1 = (face.box.x + face.box.width + margin) * input.faceScale;
    const y1 = (face.box.y + face.box.height + margin) * input.faceScale;
    for (let r = Math.max(0, Math.floor(y0 / cell)); r < Math.min(rows, Math.ceil(y1 / cell)); r++)
      for (let c = Math.max(0, Math.floor(x0 / cell)); c < Math.min(columns, Math.ceil(x1 / cell)); c++) faceCells[r * columns + c] = 1;
  }
  const detail = new Uint8Array(columns * rows);
  const fidelity = new Uint8Array(columns * rows);
  const derived = new Uint8Array(columns * rows);
  const lightDetail = new Uint8Array(columns * rows);
  for (let i = 0; i < detail.length; i++) {
    if (input.detail) detail[i] = faceCells[i] || (input.backgroundDetail > 0 && texture.data[i] >= ROUTING.detailTexture) ? 1 : 0;
    if (input.lightDetail && detail[i] && !faceCells[i]) lightDetail[i] = 1;
    if (input.fidelity === "edges") fidelity[i] = faceCells[i] || texture.data[i] >= ROUTING.fidelityTexture ? 1 : 0;
    else if (input.fidelity === "faces") fidelity[i] = faceCells[i];
    if (detail[i] && (input.derivedFidelity === "detail" || (input.derivedFidelity === "outside-faces" && !faceCells[i]))) {
      derived[i] = 1;
      fidelity[i] = 0;
    }
  }
  return { cell, columns, rows, detail, fidelity, derived, lightDetail };
}

/** The cells the preset's own detail model runs on: `detail` less the light detail model's cells. */
export function fullDetailCells(grid: Pick<RouteGrid, "detail" | "lightDetail">): Uint8Array {
  const light = grid.lightDetail;
  return light ? grid.detail.map((v, i) => (v && !light[i] ? 1 : 0)) : grid.detail;
}

/** The share of cells that run a model: what routing saves is 1 − this. */
export function routedShare(cells: Uint8Array): number {
  let n = 0;
  for (const v of cells) n += v;
  return cells.length === 0 ? 0 : n / cells.length;
}

/**
 * Source pixels beyond a routed cell where its model's output still has weight: the
 * hand-over of {@link routeWeights} reaches 0 half a cell away.
 */
export function handOverRing(grid: Pick<RouteGrid, "cell">): number {
  return Math.ceil(grid.cell / 2);
}

/**
 * How much of a model's output to keep at each output pixel of `rect` (output pixels, the
 * output being `scale`× the source): 1 on the cells routed to the model, falling smoothly to
 * 0 half a cell away from them, inside the ring it also ran on ({@link handOverRing}), so a
 * hand-over never shows as a step. `cells` is a routed set of {@link RouteGrid}.
 */
export function routeWeights(grid: RouteGrid, cells: Uint8Array, rect: PixelRect, scale: number): Plane {
  const data = new Float32Array(rect.width * rect.height);
  const size = grid.cell * scale;
  const half = size / 2;
  // 1 at distance 0 from a routed cell, 0 from half a cell, smoothstep between.
  const ramp = (distance: number): number => {
    const t = 1 - Math.min(1, distance / half);
    return t * t * (3 - 2 * t);
  };
  // Most pixels lie in a routed cell (weight 1) or away from any (0): only the ring between
  // needs the distances, which made this the blend's costliest step when done everywhere.
  const near = nearRouted(grid, cells);
  for (let y = 0; y < rect.height; y++) {
    const py = rect.y + y + 0.5;
    const r = Math.floor(py / size);
    for (let x = 0; x < rect.width; x++) {
      const px = rect.x + x + 0.5;
      const c = Math.floor(px / size);
      if (r < grid.rows && c < grid.columns) {
        const i = r * grid.columns + c;
        if (cells[i]) {
          data[y * rect.width + x] = 1;
          continue;
        }
        if (!near[i]) continue;
      }
      let w = 0;
      for (let rr = Math.max(0, r - 1); rr <= Math.min(grid.rows - 1, r + 1); rr++)
        for (let cc = Math.max(0, c - 1); cc <= Math.min(grid.columns - 1, c + 1); cc++) {
          if (!cells[rr * grid.columns + cc]) continue;
          const dx = Math.max(0, cc * size - px, px - (cc + 1) * size);
          const dy = Math.max(0, rr * size - py, py - (rr + 1) * size);
          w = Math.max(w, ramp(dx) * ramp(dy));
        }
      data[y * rect.width + x] = w;
    }
  }
  return { width: rect.width, height: rect.height, data };
}

/** 1 for each cell with a routed cell among its eight neighbours. */
function nearRouted(grid: RouteGrid, cells: Uint8Array): Uint8Array {
  const { columns, rows } = grid;
  const near = new Uint8Array(cells.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) {
      if (!cells[r * columns + c]) continue;
      for (let rr = Math.max(0, r - 1); rr <= Math.min(rows - 1, r + 1); rr++)
        for (let cc = Math.max(0, c - 1); cc <= Math.min(columns - 1, c + 1); cc++) near[rr * columns + cc] = 1;
    }
  return near;
}

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
 * Which branches need their model, per cell, row-major. A model runs on these cells and
 * their eight neighbours ({@link modelCells}), where its output fades out.
 */
export interface RouteGrid {
  /** Cell edge, source pixels. */
  readonly cell: number;
  readonly columns: number;
  readonly rows: number;
  /** 1 where the detail model's output is kept whole. */
  readonly detail: Uint8Array;
  /** 1 where the fidelity model's output is kept whole (elsewhere Lanczos-3). */
  readonly fidelity: Uint8Array;
}

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
  /** Whether the fidelity branch is classical everywhere (a preview). */
  readonly fidelityClassical: boolean;
  /** The highest detail factor outside faces (creativity × the background and hair factors); 0 turns detail off there. */
  readonly backgroundDetail: number;
}

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
 * The routes for one pass: the detail model where a face is or the source has texture, the
 * fidelity model wherever there is any edge (unless the preset is a preview).
 *
 * @example const routes = planRoutes({ sourceLuma, faces, faceScale: 1, detail: true, fidelityClassical: false, backgroundDetail: 0.3 });
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
  for (let i = 0; i < detail.length; i++) {
    if (input.detail) detail[i] = faceCells[i] || (input.backgroundDetail > 0 && texture.data[i] >= ROUTING.detailTexture) ? 1 : 0;
    if (!input.fidelityClassical) fidelity[i] = faceCells[i] || texture.data[i] >= ROUTING.fidelityTexture ? 1 : 0;
  }
  return { cell, columns, rows, detail, fidelity };
}

/**
 * Where a model runs for a routed cell set: the cells and their eight neighbours, so the
 * feathered hand-over to Lanczos-3 ({@link routeWeights}) always falls where it ran.
 */
export function modelCells(grid: RouteGrid, cells: Uint8Array): Uint8Array {
  const { columns, rows } = grid;
  const out = new Uint8Array(cells.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) {
      if (!cells[r * columns + c]) continue;
      for (let dr = -1; dr <= 1; dr++)
        for (let dc = -1; dc <= 1; dc++) {
          const rr = r + dr;
          const cc = c + dc;
          if (rr >= 0 && rr < rows && cc >= 0 && cc < columns) out[rr * columns + cc] = 1;
        }
    }
  return out;
}

/** The share of cells that run a model: what routing saves is 1 − this. */
export function routedShare(cells: Uint8Array): number {
  let n = 0;
  for (const v of cells) n += v;
  return cells.length === 0 ? 0 : n / cells.length;
}

/**
 * The bounding rectangle (source pixels) of the set cells (see {@link modelCells}) inside
 * `window`, or null: where a branch's model has to run for that window.
 */
export function routedBounds(grid: RouteGrid, cells: Uint8Array, window: PixelRect, width: number, height: number): PixelRect | null {
  const c0 = Math.floor(window.x / grid.cell);
  const c1 = Math.min(grid.columns, Math.ceil((window.x + window.width) / grid.cell));
  const r0 = Math.floor(window.y / grid.cell);
  const r1 = Math.min(grid.rows, Math.ceil((window.y + window.height) / grid.cell));
  let minC = Infinity;
  let maxC = -1;
  let minR = Infinity;
  let maxR = -1;
  for (let r = r0; r < r1; r++)
    for (let c = c0; c < c1; c++) {
      if (!cells[r * grid.columns + c]) continue;
      minC = Math.min(minC, c);
      maxC = Math.max(maxC, c);
      minR = Math.min(minR, r);
      maxR = Math.max(maxR, r);
    }
  if (maxC < 0) return null;
  const x0 = Math.max(window.x, minC * grid.cell);
  const y0 = Math.max(window.y, minR * grid.cell);
  const x1 = Math.min(window.x + window.width, width, (maxC + 1) * grid.cell);
  const y1 = Math.min(window.y + window.height, height, (maxR + 1) * grid.cell);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * How much of a model's output to keep at each output pixel of `rect` (output pixels, the
 * output being `scale`× the source): 1 on the cells routed to the model, falling smoothly to
 * 0 half a cell away from them, inside the neighbours it also ran on ({@link modelCells}), so
 * a hand-over never shows as a step. `cells` is a routed set of {@link RouteGrid}.
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
  for (let y = 0; y < rect.height; y++) {
    const py = rect.y + y + 0.5;
    const r = Math.floor(py / size);
    for (let x = 0; x < rect.width; x++) {
      const px = rect.x + x + 0.5;
      const c = Math.floor(px / size);
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

/**
 * Where a branch's model runs inside one window: a few rectangles that cover the routed
 * cells, chosen by what they cost the model. A rectangle of w×h kept pixels costs
 * (w + 2m)(h + 2m), m being the hand-over ring plus the model's context (manifest), so two
 * rectangles are merged only when their bounding box costs less than both: x4plus (context
 * 64) merges nearly everything nearby, esrgan-thick (context 8) runs on small islands.
 * A value object: the same cells, window and margins always give the same rectangles.
 */
import type { PixelRect } from "../image/crop";
import type { RouteGrid } from "./routing";

/** What a cover needs besides the routed cells. */
export interface CoverOptions {
  /** The window (source pixels) whose part of the branch is needed; rectangles are clipped to it. */
  readonly window: PixelRect;
  /** The source's size (rectangles are clipped to it). */
  readonly width: number;
  readonly height: number;
  /**
   * Source pixels around routed cells where the model's output still counts (the feathered
   * hand-over, half a cell: see `routeWeights`).
   */
  readonly ring: number;
  /** The model's context, source pixels per side: what every rectangle costs extra. */
  readonly context: number;
}

/** A rectangle in cells: column, row, columns, rows. */
interface CellRect {
  readonly c: number;
  readonly r: number;
  readonly w: number;
  readonly h: number;
}

/**
 * The rectangles (source pixels, inside `window` and the image) a model runs on so that every
 * pixel of the window within `ring` of a routed cell is covered. Empty when nothing in reach
 * is routed.
 *
 * @example coverRoutedCells(grid, grid.detail, { window, width, height, ring: 16, context: 64 })
 */
export function coverRoutedCells(grid: RouteGrid, cells: Uint8Array, options: CoverOptions): PixelRect[] {
  const { window, ring, context, width, height } = options;
  const size = grid.cell;
  // Cells whose ring reaches into the window.
  const c0 = Math.max(0, Math.floor((window.x - ring) / size));
  const r0 = Math.max(0, Math.floor((window.y - ring) / size));
  const c1 = Math.min(grid.columns, Math.ceil((window.x + window.width + ring) / size));
  const r1 = Math.min(grid.rows, Math.ceil((window.y + window.height + ring) / size));
  const margin = ring + context;
  const cost = (rect: CellRect): number => (rect.w * size + 2 * margin) * (rect.h * size + 2 * margin);

  let rects = mergeEqualSpans(rowRuns(grid, cells, c0, c1, r0, r1));
  rects = mergeWhileCheaper(rects, cost);

  const x0 = window.x;
  const y0 = window.y;
  const x1 = Math.min(window.x + window.width, width);
  const y1 = Math.min(window.y + window.height, height);
  const out: PixelRect[] = [];
  for (const rect of rects) {
    const left = Math.max(x0, rect.c * size - ring);
    const top = Math.max(y0, rect.r * size - ring);
    const right = Math.min(x1, (rect.c + rect.w) * size + ring);
    const bottom = Math.min(y1, (rect.r + rect.h) * size + ring);
    if (right > left && bottom > top) out.push({ x: left, y: top, width: right - left, height: bottom - top });
  }
  return out.sort((a, b) => a.y - b.y || a.x - b.x);
}

/** What a cover costs the model, in input pixels including every rectangle's context. */
export function coverCost(rects: readonly PixelRect[], context: number, width: number, height: number): number {
  let total = 0;
  for (const rect of rects) {
    const w = Math.min(width, rect.x + rect.width + context) - Math.max(0, rect.x - context);
    const h = Math.min(height, rect.y + rect.height + context) - Math.max(0, rect.y - context);
    total += w * h;
  }
  return total;
}

/** Maximal runs of routed cells along each row, as one-row rectangles. */
function rowRuns(grid: RouteGrid, cells: Uint8Array, c0: number, c1: number, r0: number, r1: number): CellRect[] {
  const runs: CellRect[] = [];
  for (let r = r0; r < r1; r++) {
    let start = -1;
    for (let c = c0; c <= c1; c++) {
      const set = c < c1 && cells[r * grid.columns + c] === 1;
      if (set && start < 0) start = c;
      if (!set && start >= 0) {
        runs.push({ c: start, r, w: c - start, h: 1 });
        start = -1;
      }
    }
  }
  return runs;
}

/** Stacks runs with the same columns in consecutive rows: always cheaper, and it keeps the next step small. */
function mergeEqualSpans(runs: readonly CellRect[]): CellRect[] {
  const open = new Map<string, CellRect>();
  const done: CellRect[] = [];
  for (const run of runs) {
    const key = `${run.c}:${run.w}`;
    const above = open.get(key);
    if (above && above.r + above.h === run.r) open.set(key, { ...above, h: above.h + 1 });
    else {
      if (above) done.push(above);
      open.set(key, run);
    }
  }
  return [...done, ...open.values()].sort((a, b) => a.r - b.r || a.c - b.c);
}

/**
 * Greedy: merges the pair whose bounding box saves the most, until no merge saves anything;
 * rectangles the merged one contains are dropped. Ties go to the first pair in order.
 */
function mergeWhileCheaper(start: readonly CellRect[], cost: (rect: CellRect) => number): CellRect[] {
  let rects = [...start];
  for (;;) {
    let best = 0;
    let bi = -1;
    let bj = -1;
    let merged: CellRect | null = null;
    for (let i = 0; i < rects.length; i++)
      for (let j = i + 1; j < rects.length; j++) {
        const box = bounding(rects[i], rects[j]);
        const saving = cost(rects[i]) + cost(rects[j]) - cost(box);
        if (saving > best) {
          best = saving;
          bi = i;
          bj = j;
          merged = box;
        }
      }
    if (!merged) return rects;
    const box = merged;
    rects = rects.filter((rect, k) => k !== bi && k !== bj && !contains(box, rect));
    rects.splice(Math.min(bi, rects.length), 0, box);
  }
}

function bounding(a: CellRect, b: CellRect): CellRect {
  const c = Math.min(a.c, b.c);
  const r = Math.min(a.r, b.r);
  return { c, r, w: Math.max(a.c + a.w, b.c + b.w) - c, h: Math.max(a.r + a.h, b.r + b.h) - r };
}

function contains(outer: CellRect, inner: CellRect): boolean {
  return inner.c >= outer.c && inner.r >= outer.r && inner.c + inner.w <= outer.c + outer.w && inner.r + inner.h <= outer.r + outer.h;
}

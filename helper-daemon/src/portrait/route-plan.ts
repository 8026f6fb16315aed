/**
 * The routing decision of a pass as a plan: per window, the rectangles each branch's model runs
 * on. The pass runs exactly these, and the cost model prices exactly these once a job has
 * pixels and faces, so the estimate and the run cannot disagree about where models run.
 */
import type { PixelRect } from "../image/crop";
import type { BranchModel } from "./branch-models";
import { coverRoutedCells } from "./route-cover";
import { fullDetailCells, handOverRing, type RouteGrid } from "./routing";

/** One window of a pass: what it owns, what it reads, and where each branch's model runs. */
export interface WindowPlan {
  readonly owned: PixelRect;
  /** `owned` widened by the blend's context. */
  readonly view: PixelRect;
  readonly fidelity: readonly PixelRect[];
  readonly detail: readonly PixelRect[];
  /** Where the light detail model runs (routing's `lightDetail` cells); empty without one. */
  readonly lightDetail: readonly PixelRect[];
}

/**
 * One model run the plan asks for: the model's input for a source region (rectangle plus the
 * model's context, reduced where the model runs on a reduced source) the tiled driver upscales.
 */
export interface PlannedRun {
  readonly modelId: string;
  readonly width: number;
  readonly height: number;
}

/** What {@link planWindows} needs besides the routes. */
export interface PlanOptions {
  readonly width: number;
  readonly height: number;
  readonly windows: readonly PixelRect[];
  /** Source pixels every window reads beyond what it owns. */
  readonly blendContext: number;
  readonly fidelity: BranchModel;
  readonly detail: BranchModel | null;
  /** The light detail model off faces (branch-models.ts `lightDetailModel`), or null. */
  readonly lightDetail: BranchModel | null;
}

/** The rectangles each branch's model runs on, window by window (see route-cover.ts). */
export function planWindows(routes: RouteGrid, options: PlanOptions): WindowPlan[] {
  const { width, height } = options;
  const cover = (cells: Uint8Array, view: PixelRect, model: BranchModel): PixelRect[] =>
    coverRoutedCells(routes, cells, { window: view, width, height, ring: handOverRing(routes), context: model.context });
  return options.windows.map((owned) => {
    const view = grow(owned, options.blendContext, width, height);
    return {
      owned,
      view,
      fidelity: cover(routes.fidelity, view, options.fidelity),
      detail: options.detail ? cover(fullDetailCells(routes), view, options.detail) : [],
      lightDetail: options.detail && options.lightDetail && routes.lightDetail ? cover(routes.lightDetail, view, options.lightDetail) : [],
    };
  });
}

/** Every model run of a plan, in the order the pass makes them: each region widened by its model's context, at the model's input size. */
export function plannedRuns(plan: readonly WindowPlan[], options: Pick<PlanOptions, "width" | "height" | "fidelity" | "detail" | "lightDetail">): PlannedRun[] {
  const runs = (rects: readonly PixelRect[], model: BranchModel): PlannedRun[] =>
    rects.map((rect) => {
      const input = modelInputSize(modelRegion(rect, model, options.width, options.height), model.reduction);
      return { modelId: model.id, width: input.width, height: input.height };
    });
  return plan.flatMap((window) => [
    ...runs(window.fidelity, options.fidelity),
    ...(options.lightDetail ? runs(window.lightDetail, options.lightDetail) : []),
    ...(options.detail ? runs(window.detail, options.detail) : []),
  ]);
}

/** `rect` widened by `by` on every side, clipped to the image. */
export function grow(rect: PixelRect, by: number, width: number, height: number): PixelRect {
  const x = Math.max(0, rect.x - by);
  const y = Math.max(0, rect.y - by);
  return { x, y, width: Math.min(width, rect.x + rect.width + by) - x, height: Math.min(height, rect.y + rect.height + by) - y };
}

/**
 * The source region a model run reads for `rect`: the rectangle with the model's context,
 * clipped to the image, its edges on the model's reduction grid wherever the image allows.
 */
export function modelRegion(rect: PixelRect, model: Pick<BranchModel, "context" | "reduction">, width: number, height: number): PixelRect {
  const region = grow(rect, model.context, width, height);
  const r = model.reduction;
  if (r === 1) return region;
  const x = Math.floor(region.x / r) * r;
  const y = Math.floor(region.y / r) * r;
  const right = Math.min(width, Math.ceil((region.x + region.width) / r) * r);
  const bottom = Math.min(height, Math.ceil((region.y + region.height) / r) * r);
  return { x, y, width: right - x, height: bottom - y };
}

/** The model's input size for a region (a partial last pixel at the image's edge counts whole). */
export function modelInputSize(region: PixelRect, reduction: number): { width: number; height: number } {
  return { width: Math.ceil(region.width / reduction), height: Math.ceil(region.height / reduction) };
}

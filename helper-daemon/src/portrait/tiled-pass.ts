/**
 * One pass of the pipeline, window by window: each window of the source gets its branches
 * (a model only on the cells routing sent it to, Lanczos-3 elsewhere, with a feathered
 * hand-over) and its blend, and only the part it owns is written to the output. So at any
 * moment one window's planes exist, not ~20 output-sized ones: a 24-megapixel portrait fits
 * in a few GB. Every window reads `PASS_CONTEXT` source pixels beyond what it owns and every
 * model run adds the model's own context, so a window's output equals a whole-image run.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { upscaleToScale, type TileRunner } from "../tiling/tiled-upscale";
import { applyLumaChange, BLEND_CONTEXT, blendLuma } from "./blend";
import { derivedFidelity, detailModel, fidelityReach, fidelityModel, lightDetailModel, type BranchModel } from "./branch-models";
import { calibrationWindow, lightBandGain, ringBandRatio } from "./light-gain";
import type { Face } from "./faces";
import { regionFactorMap, regionMask, type RegionFactors } from "./masks";
import type { HairSkinMasks } from "./hair-strands";
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { cropImage, type PixelRect } from "../image/crop";
import { resampleAlpha, resampleImage } from "../image/resample";
import { fullDetailCells, planRoutes, routeWeights, type RouteGrid } from "./routing";
import { modelRegion, plannedRuns, planWindows, type PlannedRun } from "./route-plan";
import { reduceInput } from "./reduced-input";
import { withTextureAgreement } from "./texture-agreement";
import { DERIVED_CONTEXT, DERIVED_FIDELITY, derivedFidelityLuma } from "./derived-fidelity";
import type { PortraitSettings, PortraitStage } from "./pipeline";
import type { ResultSink } from "../image/result-sink";

/** Source pixels a window reads beyond what it owns: the blend's chain, after the derived fidelity's. */
const PASS_CONTEXT = BLEND_CONTEXT + DERIVED_CONTEXT;

/** The largest window a pass owns, source pixels: ~0.8 GB of planes at 2× (measured peak: docs/architecture.md). */
export const PASS_WINDOW = 1024;

/** Everything one pass needs. */
export interface PassInput {
  readonly source: RgbImage;
  readonly scale: number;
  /** Pass input size ÷ original size (faces are in the original's pixels). */
  readonly before: number;
  readonly faces: readonly Face[];
  readonly settings: PortraitSettings;
  readonly tileRunner: (modelId: string) => TileRunner;
  readonly maxTile: number;
  readonly signal?: AbortSignal;
  readonly onProgress: (stage: PortraitStage, fraction: number) => void;
  /** Denoise and grain, on the pass's luma at the output size (`x`, `y`: the window's output origin). */
  readonly finishLuma: (luma: Plane, x: number, y: number) => Plane;
  /** Keep the branches and the gate at the output size (for a review). */
  readonly keepBranches: boolean;
  /** Largest window edge, source pixels (default {@link PASS_WINDOW}). */
  readonly window?: number;
  /** Told every model run of the pass once routing has decided, before any runs (for the estimate). */
  readonly onPlanned?: (runs: readonly PlannedRun[]) => void;
  /** Takes each window's owned part (and then the alpha) instead of an output-sized float image. */
  readonly sink?: ResultSink;
  /**
   * The light detail model's band gain (light-gain.ts); by default calibrated on one window's
   * ring. Given, windows of any size give the whole-image result.
   */
  readonly lightGain?: number;
}

/** One window's model runs: its source, the Lanczos-3 base and each branch where its models ran (null: none ran). */
interface WindowRuns {
  readonly crop: RgbImage;
  readonly base: RgbImage;
  readonly fidelityRgb: RgbImage;
  readonly lightRgb: RgbImage | null;
  readonly detailRgb: RgbImage | null;
}

/** A pass's result, with what routing decided. */
export interface PassResult {
  /** Null when the result went to `sink`. */
  readonly image: RgbImage | null;
  /** When `keepBranches`: the fidelity branch, the detail branch's luma in the source's colour, and the gate. */
  readonly branches: { readonly fidelity: RgbImage; readonly detail: RgbImage | null; readonly gate: Plane | null } | null;
  readonly routes: RouteGrid;
  /** The light detail model's band gain the pass used (null: no light detail model ran). */
  readonly lightGain: number | null;
  /** Model ids that ran in this pass. */
  readonly models: readonly string[];
}

/**
 * Runs one pass (see the module comment).
 *
 * @example const { image } = await runTiledPass({ source, scale: 2, before: 1, faces, settings, tileRunner, maxTile: 256, onProgress, finishLuma: (y) => y, keepFidelity: false });
 */
export async function runTiledPass(input: PassInput): Promise<PassResult> {
  const { source, scale, settings } = input;
  const outWidth = source.width * scale;
  const outHeight = source.height * scale;
  const fidelity = fidelityModel(scale, settings.models.fidelity);
  const detail = detailModel(settings, scale);
  // Without a face found the detail model keeps every detail cell: a face the detector missed
  // (small, turned, degraded) would otherwise get the light model, and no ring calibrates it.
  const lightDetail = detail && input.faces.length > 0 ? lightDetailModel(settings) : null;
  const sourceLuma = luma(source);
  const routes = planRoutes({
    sourceLuma,
    faces: input.faces,
    faceScale: input.before,
    detail: detail !== null,
    fidelity: fidelityReach(settings),
    backgroundDetail: settings.creativity * Math.max(settings.regions.background, settings.regions.hair),
    derivedFidelity: DERIVED_FIDELITY.enabled ? derivedFidelity(settings) : "nowhere",
    lightDetail: lightDetail !== null,
  });
  const models = new Set<string>();
  const sink = input.sink;
  const rgb = sink ? null : new Float32Array(3 * outWidth * outHeight);
  const kept = input.keepBranches
    ? {
        fidelity: new Float32Array(3 * outWidth * outHeight),
        detail: detail ? new Float32Array(3 * outWidth * outHeight) : null,
        gate: detail ? new Float32Array(outWidth * outHeight) : null,
      }
    : null;
  const planOptions = { width: source.width, height: source.height, fidelity, detail, lightDetail };
  const plan = planWindows(routes, { ...planOptions, windows: ownedWindows(source.width, source.height, input.window ?? PASS_WINDOW), blendContext: PASS_CONTEXT });
  input.onPlanned?.(plannedRuns(plan, planOptions));
  const stages: PortraitStage[] = detail ? ["fidelity", "detail", "blend"] : ["fidelity", "blend"];
  const report = stagedProgress(input.onProgress, stages);

  // Each window's model runs: the fidelity branch (the model where routed, Lanczos-3
  // elsewhere, feathered), then the detail models (the light one first, off faces, then the
  // detail model pasted over it; in the hand-over between their cells both ran).
  let finished = 0;
  let shown = 0;
  // The calibrating window's runs come first, so a later window's runs repeat fractions already shown.
  const progress = (fraction: number) => {
    shown = Math.max(shown, (finished + fraction) / plan.length);
    report(shown);
  };
  const runWindow = async (w: number): Promise<WindowRuns> => {
    const { view, fidelity: fidelityRects, detail: detailRects, lightDetail: lightRects } = plan[w];
    const viewOut = times(view, scale);
    const crop = cropImage({ width: source.width, height: source.height, rgb: source.rgb }, view);
    const base = resampleImage(crop, { width: viewOut.width, height: viewOut.height, filter: "lanczos3" });
    let fidelityRgb = base;
    if (fidelityRects.length > 0) {
      models.add(fidelity.id);
      fidelityRgb = await runBranchOver(input, fidelity, fidelityRects, viewOut, base, (f) => progress(f / 3));
      handOver(fidelityRgb, base, routeWeights(routes, routes.fidelity, viewOut, scale));
    }
    if (!detail || (detailRects.length === 0 && lightRects.length === 0)) return { crop, base, fidelityRgb, lightRgb: null, detailRgb: null };
    const lightShare = lightDetail && lightRects.length > 0 ? (detailRects.length > 0 ? 0.1 : 1) : 0;
    let lightRgb: RgbImage | null = null;
    if (lightDetail && lightShare > 0) {
      models.add(lightDetail.id);
      lightRgb = await runBranchOver(input, lightDetail, lightRects, viewOut, fidelityRgb, (f) => progress((1 + lightShare * f) / 3));
    }
    let detailRgb: RgbImage | null = null;
    if (detailRects.length > 0) {
      models.add(detail.id);
      detailRgb = await runBranchOver(input, detail, detailRects, viewOut, lightRgb ?? fidelityRgb, (f) => progress((1 + lightShare + (1 - lightShare) * f) / 3));
    }
    return { crop, base, fidelityRgb, lightRgb, detailRgb };
  };

  // One window's ring calibrates the light model's gain for the whole pass (light-gain.ts); its
  // runs are kept for when its turn comes, so windows are still written in order.
  const calibration = lightDetail && input.lightGain === undefined ? calibrationWindow(routes, plan.map((p) => p.owned)) : -1;
  let early: WindowRuns | null = null;
  let ratio: number | null = null;
  if (calibration >= 0) {
    early = await runWindow(calibration);
    if (early.lightRgb && early.detailRgb) {
      const viewOut = times(plan[calibration].view, scale);
      ratio = ringBandRatio(luma(early.detailRgb), luma(early.lightRgb), luma(early.crop), routes, (cells) => routeWeights(routes, cells, viewOut, scale));
    }
  }
  const lightGain = input.lightGain ?? lightBandGain(ratio, scale);

  for (let w = 0; w < plan.length; w++) {
    if (input.signal?.aborted) throw new PortraitError("CANCELLED");
    const { owned, view } = plan[w];
    const viewOut = times(view, scale);
    const { crop, base, fidelityRgb, lightRgb, detailRgb } = w === calibration && early ? early : await runWindow(w);
    if (w === calibration) early = null;
    let fidelityLuma = luma(fidelityRgb);

    let windowRgb: Float32Array;
    if (!detail) {
      if (kept) writeOwned(kept.fidelity, fidelityRgb.rgb, owned, view, scale, outWidth, outHeight, 3);
      progress(2 / 3);
      windowRgb = applyLumaChange(fidelityRgb, fidelityLuma, input.finishLuma(fidelityLuma, viewOut.x, viewOut.y)).rgb;
    } else {
      // The detail branch's luma: the models where routed; elsewhere its weight is 0. Where
      // routing derives the fidelity branch, it comes from this luma (no fidelity model ran).
      const cropLuma = luma(crop);
      let detailLuma = fidelityLuma;
      let detailWeight: Plane = { width: viewOut.width, height: viewOut.height, data: new Float32Array(viewOut.width * viewOut.height) };
      if (lightRgb || detailRgb) {
        detailLuma = luma(detailRgb ?? lightRgb!);
        detailWeight = routeWeights(routes, routes.detail, viewOut, scale);
        if (lightRgb) {
          let lightWeight = routeWeights(routes, routes.lightDetail!, viewOut, scale);
          if (detailRgb) ({ luma: detailLuma, share: lightWeight } = lightHandOver(detailLuma, luma(lightRgb), lightWeight, routes, viewOut, scale));
          for (let i = 0; i < detailWeight.data.length; i++) detailWeight.data[i] *= 1 + (lightGain - 1) * lightWeight.data[i];
        }
        if (routes.derived?.includes(1)) {
          const weights = routeWeights(routes, routes.derived, viewOut, scale);
          fidelityLuma = mixPlanes(fidelityLuma, derivedFidelityLuma(detailLuma, cropLuma), weights);
        }
      }
      if (kept) writeOwned(kept.fidelity, applyLumaChange(fidelityRgb, luma(fidelityRgb), fidelityLuma).rgb, owned, view, scale, outWidth, outHeight, 3);
      progress(2 / 3);
      const { luma: blended, gate } = blendLuma(
        withTextureAgreement({ sourceLuma: cropLuma, fidelityLuma, detailLuma, detailWeight }, () => hairSkinFor(input.faces, viewOut, input.before * scale)),
        {
          creativity: settings.creativity,
          resemblance: settings.resemblance,
          detailFactor: factorsFor(input.faces, settings.regions, viewOut, input.before * scale),
          finishLuma: (y) => input.finishLuma(y, viewOut.x, viewOut.y),
        },
      );
      const baseLuma = luma(base);
      windowRgb = applyLumaChange(base, baseLuma, blended).rgb;
      if (kept?.detail && kept.gate) {
        writeOwned(kept.detail, applyLumaChange(base, baseLuma, detailLuma).rgb, owned, view, scale, outWidth, outHeight, 3);
        writeOwned(kept.gate, gate.data, owned, view, scale, outWidth, outHeight, 1);
      }
    }
    if (rgb) writeOwned(rgb, windowRgb, owned, view, scale, outWidth, outHeight, 3);
    else sink?.write(windowRgb, viewOut, times(owned, scale));
    progress(1);
    finished++;
  }
  // Alpha is coverage, with no texture to invent: Lanczos-3, clamped.
  const alpha = source.alpha ? resampleAlpha(source.alpha, source.width, source.height, outWidth, outHeight) : undefined;
  sink?.finish(alpha);
  const image: RgbImage | null = rgb === null ? null : alpha ? { width: outWidth, height: outHeight, rgb, alpha } : { width: outWidth, height: outHeight, rgb };
  return {
    image,
    branches: kept
      ? {
          fidelity: { width: outWidth, height: outHeight, rgb: kept.fidelity },
          detail: kept.detail ? { width: outWidth, height: outHeight, rgb: kept.detail } : null,
          gate: kept.gate ? { width: outWidth, height: outHeight, data: kept.gate } : null,
        }
      : null,
    routes,
    lightGain: lightDetail && models.has(lightDetail.id) ? lightGain : null,
    models: [...models],
  };
}

/**
 * The windows a pass owns: nearly equal rectangles of at most `edge` source pixels covering
 * the image (count = ceil(L / edge), size = ceil(L / count) along each axis).
 */
export function ownedWindows(width: number, height: number, edge: number): PixelRect[] {
  const spans = (length: number): [number, number][] => {
    const count = Math.ceil(length / edge);
    const size = Math.ceil(length / count);
    const out: [number, number][] = [];
    for (let start = 0; start < length; start += size) out.push([start, Math.min(size, length - start)]);
    return out;
  };
  const rects: PixelRect[] = [];
  for (const [y, h] of spans(height)) for (const [x, w] of spans(width)) rects.push({ x, y, width: w, height: h });
  return rects;
}

/**
 * Runs a branch's model over each of `rects` (source pixels) with the model's context
 * around it, and returns the view (`viewOut`, output pixels) with the model's output pasted
 * over `fill` where it ran: outside the rectangles the route weights are 0.
 */
async function runBranchOver(
  input: PassInput,
  model: BranchModel,
  rects: readonly PixelRect[],
  viewOut: PixelRect,
  fill: RgbImage,
  onProgress: (fraction: number) => void,
): Promise<RgbImage> {
  const { source, scale } = input;
  const out: RgbImage = { width: fill.width, height: fill.height, rgb: fill.rgb.slice() };
  const total = rects.reduce((sum, rect) => sum + rect.width * rect.height, 0);
  let done = 0;
  for (const rect of rects) {
    const share = (rect.width * rect.height) / total;
    const region = modelRegion(rect, model, source.width, source.height);
    const enlarged = await upscaleToScale(reduceInput(cropImage(source, region), model.reduction), input.tileRunner(model.id), {
      nativeScale: model.nativeScale,
      targetScale: scale * model.reduction,
      maxTile: input.maxTile,
      signal: input.signal,
      onProgress: (p) => onProgress(done + share * p.fraction),
    });
    done += share;
    const inner = times({ x: rect.x - region.x, y: rect.y - region.y, width: rect.width, height: rect.height }, scale);
    pasteRgb(out, enlarged, inner, times(rect, scale), viewOut);
  }
  return out;
}

/** The region factor map for a window at the output size: that part of the whole image's map. */
function factorsFor(faces: readonly Face[], factors: RegionFactors, windowOut: PixelRect, faceToOutput: number): Plane {
  return regionFactorMap(faces, factors, windowOut.width, windowOut.height, faceToOutput, windowOut);
}

/** The hair and skin masks for a window at the output size: that part of the whole image's. */
function hairSkinFor(faces: readonly Face[], windowOut: PixelRect, faceToOutput: number): HairSkinMasks {
  const mask = (name: "hair" | "skin") => regionMask(faces, name, windowOut.width, windowOut.height, faceToOutput, windowOut);
  return { hair: mask("hair"), skin: mask("skin") };
}

/** Maps overall pass progress (0..1) onto the pass's stages in order, each an equal share. */
function stagedProgress(report: (stage: PortraitStage, fraction: number) => void, stages: readonly PortraitStage[]): (fraction: number) => void {
  let current = 0;
  return (fraction) => {
    const at = Math.min(stages.length, Math.max(0, fraction) * stages.length);
    // A stage is finished once before the next starts, so a tracker sees them in order.
    while (current < stages.length - 1 && at >= current + 1) report(stages[current++], 1);
    report(stages[current], Math.min(1, at - current));
  };
}

function times(rect: PixelRect, scale: number): PixelRect {
  return { x: rect.x * scale, y: rect.y * scale, width: rect.width * scale, height: rect.height * scale };
}

/** `a` + w·(`b` − `a`): `b` where routed, `a` elsewhere, feathered like {@link handOver}. */
function mixPlanes(a: Plane, b: Plane, weights: Plane): Plane {
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] + weights.data[i] * (b.data[i] - a.data[i]);
  return { width: a.width, height: a.height, data };
}

/**
 * The detail branch's luma where two detail models ran, and the light model's share of it:
 * its own route weight (`lightWeight`) times what the full model's route weight leaves, so
 * each fades out over its hand-over ring and the full model's cells are its own.
 */
function lightHandOver(full: Plane, light: Plane, lightWeight: Plane, routes: RouteGrid, viewOut: PixelRect, scale: number): { luma: Plane; share: Plane } {
  const fullWeight = routeWeights(routes, fullDetailCells(routes), viewOut, scale).data;
  const share = { width: lightWeight.width, height: lightWeight.height, data: lightWeight.data.map((w, i) => w * (1 - fullWeight[i])) };
  return { luma: mixPlanes(full, light, share), share };
}

/** `model` ← `base` + w·(`model` − `base`) in place: the model's output where routed, `base` elsewhere. */
function handOver(model: RgbImage, base: RgbImage, weights: Plane): void {
  const n = model.width * model.height;
  const w = weights.data;
  for (let c = 0; c < 3; c++) {
    const m = model.rgb.subarray(c * n, (c + 1) * n);
    const b = base.rgb.subarray(c * n, (c + 1) * n);
    for (let i = 0; i < n; i++) m[i] = b[i] + w[i] * (m[i] - b[i]);
  }
}

/** Copies the part `inner` of `enlarged` to where `rect` lies in `target` (covering `targetRect`). */
function pasteRgb(target: RgbImage, enlarged: RgbImage, inner: PixelRect, rect: PixelRect, targetRect: PixelRect): void {
  const n = target.width * target.height;
  const m = enlarged.width * enlarged.height;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < rect.height; y++) {
      const from = c * m + (inner.y + y) * enlarged.width + inner.x;
      target.rgb.set(enlarged.rgb.subarray(from, from + rect.width), c * n + (rect.y - targetRect.y + y) * target.width + (rect.x - targetRect.x));
    }
}

/** Writes the owned part of a window's `planes` planes (covering `view`, at `scale`) into the output. */
function writeOwned(
  output: Float32Array,
  windowRgb: Float32Array,
  owned: PixelRect,
  view: PixelRect,
  scale: number,
  outWidth: number,
  outHeight: number,
  planes: number,
): void {
  const vw = view.width * scale;
  const vn = vw * view.height * scale;
  const n = outWidth * outHeight;
  const ox = (owned.x - view.x) * scale;
  const oy = (owned.y - view.y) * scale;
  const w = owned.width * scale;
  for (let c = 0; c < planes; c++)
    for (let y = 0; y < owned.height * scale; y++) {
      const from = c * vn + (oy + y) * vw + ox;
      output.set(windowRgb.subarray(from, from + w), c * n + (owned.y * scale + y) * outWidth + owned.x * scale);
    }
}

/**
 * Which model each branch runs and how much context it needs around what is kept. Every fact
 * (id, native scale, context) comes from the manifest's resolver.
 */
import { modelFacts, type ResolvedModel } from "@portrait-upscale/models";
import type { PortraitSettings } from "./pipeline";
import type { DerivedFidelity, FidelityReach } from "./routing";

/** One branch's model: its id, native scale, the input it runs on and the context it needs. */
export interface BranchModel {
  readonly id: string;
  readonly nativeScale: number;
  /**
   * Source pixels per model input pixel: 1, or 2 where the model runs on the source reduced
   * to half (Lanczos-3) so that its native 4× lands on the pass's 2× without a reduction.
   */
  readonly reduction: number;
  /**
   * Source pixels either side of a region the model's output must be right in: the manifest's
   * context (model input pixels) times `reduction`, plus the reduction kernel's reach.
   */
  readonly context: number;
}

function branchModel(model: ResolvedModel, reduction: number = 1): BranchModel {
  // Lanczos-3 reducing by r reads 3·r source pixels either side.
  const kernelReach = reduction > 1 ? 3 * reduction : 0;
  return { id: model.id, nativeScale: model.nativeScale, reduction, context: model.context * reduction + kernelReach };
}

/** The fidelity model for a scale: the smallest native scale at or above it (then reduced); `choice` may name a brought one. */
export function fidelityModel(scale: number, choice: PortraitSettings["models"]["fidelity"] = "thick"): BranchModel {
  return branchModel(modelFacts().reaching(choice, scale));
}

/** The detail model a preset chose for a pass of `scale`, or null when the fidelity model runs alone. */
export function detailModel(settings: Pick<PortraitSettings, "models">, scale: number): BranchModel | null {
  const choice = settings.models.detail;
  if (!choice) return null;
  const model = modelFacts().forChoice(choice, 4);
  return branchModel(model, detailReduction(choice, model.nativeScale, scale));
}

/**
 * Source pixels per detail-model input pixel for a pass (see {@link REDUCED_DETAIL}): the
 * chosen reduction where the model's native scale is at least that many times the pass's,
 * else 1 (the model runs on the source and its output is reduced to the pass's scale).
 */
export function detailReduction(choice: string, nativeScale: number, scale: number): number {
  const reduction = REDUCED_DETAIL.enabled ? (REDUCED_DETAIL.byDetailModel[choice] ?? 1) : 1;
  return reduction > 1 && nativeScale >= reduction * scale ? reduction : 1;
}

/**
 * Where the detail model may run on the source reduced, by detail model, when `enabled`. At
 * 2× x4plus on the source spends four times the pixels the pass keeps (its 4× output is
 * reduced to 2×); on the source halved its 4× is the pass's 2×, for a quarter of the work.
 * Off: on the quality bench it gave up 0.1–0.45 dB PSNR-Y and 0.08–0.14 of texture ratio
 * (docs/architecture.md, "Reduced detail input"). The speed bench measures it on and off.
 */
export const REDUCED_DETAIL: { enabled: boolean; byDetailModel: Record<string, number> } = { enabled: false, byDetailModel: { x4plus: 2 } };

/**
 * Where the fidelity model may run. A preview (the compact x4fast as detail model) keeps it on
 * faces only: everywhere it costs about five times x4fast (docs/architecture.md, "Fast
 * Preview"), and elsewhere Lanczos-3 under x4fast's band is what a preview needs to judge
 * settings. Every other preset runs it wherever the source has an edge. Routing leaves out
 * the cells where the fidelity branch is derived instead ({@link derivedFidelity}).
 */
export function fidelityReach(settings: Pick<PortraitSettings, "models">): FidelityReach {
  const detail = settings.models.detail;
  return (detail && FIDELITY_REACH_BY_DETAIL_MODEL[detail]) || "edges";
}

/** Where the fidelity model may run, by detail model (see {@link fidelityReach}); others: "edges". */
export const FIDELITY_REACH_BY_DETAIL_MODEL: Record<string, FidelityReach> = { x4fast: "faces", x4plus: "edges" };

/** The 1× clean-up model (run at 2×, then reduced). */
export const CLEANUP_MODEL: BranchModel = branchModel(modelFacts().byId("esrgan-thick-x2"));

/**
 * Where a preset's fidelity branch is derived from its detail model's output (routing.ts,
 * derived-fidelity.ts), by detail model; others: nowhere. A preview derives it wherever x4fast
 * runs, faces included, so it runs x4fast alone: esrgan-thick on its faces cost more than
 * x4fast itself. Presets with x4plus keep esrgan-thick under it: on the quality bench the
 * derived branch gave up 0.8 dB PSNR-Y on the whole image (docs/architecture.md, "Derived
 * fidelity").
 */
export const DERIVED_BY_DETAIL_MODEL: Record<string, DerivedFidelity> = { x4fast: "detail" };

/** Where the fidelity branch is derived for these settings ("nowhere" without a detail model). */
export function derivedFidelity(settings: Pick<PortraitSettings, "models">): DerivedFidelity {
  const detail = settings.models.detail;
  return (detail && DERIVED_BY_DETAIL_MODEL[detail]) || "nowhere";
}

/**
 * The light detail model that draws a preset's detail cells off faces, by the preset's detail
 * model, when `enabled` (routing.ts: the detail model keeps the faces, their box widened by
 * `ROUTING.faceMargin`; a pass with no face found keeps the detail model everywhere). The
 * compact x4fast costs about 1/12 of x4plus per pixel, and off faces the blend keeps only
 * creativity × the background's or hair's factor of the detail band; x4plus's 64 px context
 * made it run on 84–100 % of the pixels at ≤ 1 MP. Less of x4fast's band passes the agreement
 * gate, so its weight is lifted by a gain calibrated per pass (light-gain.ts). On the quality
 * bench (docs/architecture.md, "Light detail off faces") faces came out identical and every
 * preset's whole image stayed within 0.1 dB PSNR-Y and 0.03 texture ratio of x4plus
 * everywhere. The speed bench measures it on and off.
 */
export const LIGHT_DETAIL: { enabled: boolean; byDetailModel: Record<string, string> } = { enabled: true, byDetailModel: { x4plus: "x4fast" } };

/** The light detail model for these settings (see {@link LIGHT_DETAIL}), or null: the detail model runs on every detail cell. */
export function lightDetailModel(settings: Pick<PortraitSettings, "models">): BranchModel | null {
  const detail = settings.models.detail;
  const light = LIGHT_DETAIL.enabled && detail ? LIGHT_DETAIL.byDetailModel[detail] : undefined;
  return light ? branchModel(modelFacts().forChoice(light, 4)) : null;
}

/**
 * Which model each branch runs and how much context it needs around what is kept. Every fact
 * (id, native scale, context) comes from the manifest's resolver.
 */
import { modelFacts, type ResolvedModel } from "@portrait-upscale/models";
import type { PortraitSettings } from "./pipeline";
import type { DerivedFidelity, FidelityReach } from "./routing";

/** One branch's model: its id, native scale and the context it needs, in input pixels per side. */
export interface BranchModel {
  readonly id: string;
  readonly nativeScale: number;
  /** Input pixels either side of a region the model's output must be right in (the manifest's context). */
  readonly context: number;
}

function branchModel(model: ResolvedModel): BranchModel {
  return { id: model.id, nativeScale: model.nativeScale, context: model.context };
}

/** The fidelity model for a scale: the smallest native scale at or above it (then reduced); `choice` may name a brought one. */
export function fidelityModel(scale: number, choice: PortraitSettings["models"]["fidelity"] = "thick"): BranchModel {
  return branchModel(modelFacts().reaching(choice, scale));
}

/** The detail model a preset chose, or null when the fidelity model runs alone. */
export function detailModel(settings: Pick<PortraitSettings, "models">): BranchModel | null {
  const choice = settings.models.detail;
  return choice ? branchModel(modelFacts().forChoice(choice, 4)) : null;
}

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

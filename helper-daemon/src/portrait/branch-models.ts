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
 * settings. Every other preset runs it wherever the source has an edge. Either way routing
 * leaves out the cells the detail model runs on, where the fidelity branch is derived from
 * the detail model's output (derived-fidelity.ts): so a preview's fidelity model runs nowhere.
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
 * derived-fidelity.ts), by detail model. A preview derives it wherever x4fast runs: esrgan-thick
 * on its faces cost more than x4fast itself. The others keep the fidelity model on faces,
 * where the quality bench measures what a retoucher looks at first (docs/architecture.md,
 * "Derived fidelity").
 */
export const DERIVED_BY_DETAIL_MODEL: Record<string, DerivedFidelity> = { x4fast: "detail", x4plus: "outside-faces" };

/** Where the fidelity branch is derived for these settings ("nowhere" without a detail model). */
export function derivedFidelity(settings: Pick<PortraitSettings, "models">): DerivedFidelity {
  const detail = settings.models.detail;
  if (!detail) return "nowhere";
  return DERIVED_BY_DETAIL_MODEL[detail] ?? "outside-faces";
}

/**
 * Which model each branch runs and how much context it needs around what is kept. Every fact
 * (id, native scale, context) comes from the manifest's resolver.
 */
import { modelFacts, type ResolvedModel } from "@portrait-upscale/models";
import type { PortraitSettings } from "./pipeline";
import type { FidelityReach } from "./routing";

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
 * Where the fidelity model runs. A preview (the compact x4fast as detail model) keeps it on
 * faces only: everywhere it costs about five times x4fast (docs/architecture.md, "Fast
 * Preview"), and elsewhere Lanczos-3 under x4fast's band is what a preview needs to judge
 * settings. Every other preset runs it wherever the source has an edge.
 */
export function fidelityReach(settings: Pick<PortraitSettings, "models">): FidelityReach {
  return settings.models.detail === "x4fast" ? "faces" : "edges";
}

/** The 1× clean-up model (run at 2×, then reduced). */
export const CLEANUP_MODEL: BranchModel = branchModel(modelFacts().byId("esrgan-thick-x2"));

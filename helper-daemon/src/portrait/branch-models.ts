/**
 * Which model each branch runs and how much context it needs around what is kept. Every fact
 * (id, native scale, context) comes from the manifest's resolver.
 */
import { modelFacts, type ResolvedModel } from "@portrait-upscale/models";
import type { PortraitSettings } from "./pipeline";

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
 * Whether the fidelity branch may be classical (Lanczos-3) everywhere. Never, for now: for
 * Fast Preview it would save the esrgan-thick pass (about five times x4fast's cost) but loses
 * 0.4–1.1 dB PSNR-Y and up to 0.2 of texture ratio on the quality bench, outside the limits
 * every preset must hold.
 */
export function fidelityIsClassical(_settings: Pick<PortraitSettings, "models">): boolean {
  return false;
}

/** The 1× clean-up model (run at 2×, then reduced). */
export const CLEANUP_MODEL: BranchModel = branchModel(modelFacts().byId("esrgan-thick-x2"));

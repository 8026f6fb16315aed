/**
 * Which model each branch runs and how much context it needs around what is kept: the
 * pipeline's only model facts, in one place until they come from the manifest's resolver.
 */
import type { PortraitSettings } from "./pipeline";

/** One branch's model: its id, native scale and the context it needs, in input pixels per side. */
export interface BranchModel {
  readonly id: string;
  readonly nativeScale: number;
  /**
   * Input pixels either side of a region the model's output must be right in: half the
   * tiled driver's measured overlap (thick 16, x4fast 40, x4plus 96), enough to keep seams
   * out of that model's output.
   */
  readonly context: number;
}

const DETAIL_MODELS = {
  x4plus: { id: "realesrgan-x4plus", nativeScale: 4, context: 48 },
  x4fast: { id: "realesrgan-x4fast", nativeScale: 4, context: 20 },
} as const satisfies Record<string, BranchModel>;

/** The fidelity model for a scale: the smallest native scale at or above it (then reduced). */
export function fidelityModel(scale: number): BranchModel {
  for (const native of [2, 3, 4, 8]) if (native >= scale) return { id: `esrgan-thick-x${native}`, nativeScale: native, context: 8 };
  return { id: "esrgan-thick-x8", nativeScale: 8, context: 8 };
}

/** The detail model a preset chose, or null when the fidelity model runs alone. */
export function detailModel(settings: Pick<PortraitSettings, "models">): BranchModel | null {
  const choice = settings.models.detail;
  return choice ? DETAIL_MODELS[choice] : null;
}

/**
 * Whether the fidelity branch may be classical (Lanczos-3) everywhere: with the compact
 * x4fast as the detail model the preset is a preview, and a fidelity model would cost
 * five times the detail model (measured: esrgan-thick 36–42 s per megapixel, x4fast 7–8).
 */
export function fidelityIsClassical(settings: Pick<PortraitSettings, "models">): boolean {
  return settings.models.detail === "x4fast";
}

/** The 1× clean-up model (run at 2×, then reduced). */
export const CLEANUP_MODEL: BranchModel = { id: "esrgan-thick-x2", nativeScale: 2, context: 8 };

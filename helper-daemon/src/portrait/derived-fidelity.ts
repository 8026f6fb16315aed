/**
 * The fidelity branch where the detail model runs, derived from the detail model's own output
 * instead of a second model on the same pixels. What the blend takes from the fidelity branch
 * is its low frequencies (resemblance, the anti-halo range) and its fine band (lifted by
 * `fidelityHighGain`); the detail output low-passed to that band and back-projected onto the
 * source gives both: back-projection pins what the source shows, the low-pass drops the
 * finest part of the detail model's invention. On a 2-core CPU esrgan-thick ×2 costs 0.42×
 * x4plus per pixel, and under the default preset's routing both ran on 84–100 % of the pixels.
 */
import { backProject } from "./blend";
import { gaussianBlur } from "../image/filters";
import type { Plane } from "../image/plane";

/** The derivation's constants, named so the bench can report what it measured. */
export const DERIVED_FIDELITY = {
  /**
   * On: where the detail model runs, the fidelity branch is derived. Off (the benches' "before"
   * only): the fidelity model runs there too, as routing's edges ask.
   */
  enabled: true,
  /** Low-pass σ applied to the detail model's luma, in output pixels per unit of scale (σ = this × scale). */
  sigma: 0.35,
  /** Back-projections onto the source (full strength). */
  backProjections: 2,
};

/**
 * Source pixels beyond a region that the derivation reads: the low-pass (under one source
 * pixel) and each back-projection's Lanczos-3 reduction (3) and linear enlargement (1).
 */
export const DERIVED_CONTEXT = 9;

/**
 * The fidelity branch's luma from the detail branch's luma (both at the output size) and the
 * source's luma (see the module comment).
 *
 * @example const fidelityLuma = derivedFidelityLuma(detailLuma, luma(source));
 */
export function derivedFidelityLuma(detailLuma: Plane, sourceLuma: Plane): Plane {
  const scale = detailLuma.width / sourceLuma.width;
  const sigma = DERIVED_FIDELITY.sigma * scale;
  const low = sigma > 0 ? gaussianBlur(detailLuma, sigma) : detailLuma;
  return backProject(low, sourceLuma, 1, DERIVED_FIDELITY.backProjections);
}

/**
 * The blend's tuning constants and their scale dependence (2× values, `at4x`, interpolated
 * between), apart from the blend itself so both stay readable.
 */
import type { ResampleFilter } from "../image/resample";
/** The tuning constants, named, so the bench can report what it measured. */
export const BLEND_TUNING = {
  /**
   * Low-pass σ that splits the bands, in source pixels (× scale at the output). Only the
   * finest band is borrowed: it carries what reads as texture (lashes, pores, hair) at the
   * least cost in fidelity (0.2 instead of 0.25 gave +0.3 texture ratio for the same PSNR).
   */
  bandSigma: 0.2,
  /**
   * The narrowest band split, in output pixels. At 2× (astronaut round trip, face) 0.5
   * instead of 0.4 lifted the texture ratio from 0.58 to 0.74 while staying 1.4 dB above
   * the fidelity model.
   */
  minBandSigma: 0.5,
  /**
   * Detail gain per unit of creativity up to 2× (`at4x` has the 4× value). At 2× (round
   * trip, face, default preset) the result stays 1.6–1.8 dB above the fidelity model at a
   * texture ratio of 0.65–0.68; gain 6 with no fidelity boost was plastic (0.52 at 4×).
   */
  creativityGain: 10.5,
  /** Agreement gate: detail's deviation from the source (0..1 luma) at which it is halved. */
  gateHalf: 0.0225,
  /** How much of the fidelity branch's own high band is kept under the detail (1 = add, 0 = replace). */
  keepFidelityHigh: 1,
  /**
   * Extra gain (× creativity gain × region factor) on the fidelity branch's own high band:
   * its detail correlates with the truth better than the detail branch's, so it keeps the
   * detail correlation up while the texture ratio rises.
   */
  fidelityHighGain: 1.1,
  /** Low-pass σ (source pixels, × scale at the output) that splits off that band. */
  fidelityBandSigma: 0.2,
  /** How much less detail strong edges (local range ≥ strongEdge) receive: 0 none, 1 all. */
  edgeDetailDamping: 0,
  /**
   * How much less the fidelity branch's own fine band is lifted at strong edges. On the
   * camera portrait (dark coat against a light sky) the full lift rang at 2.4‰; half of it
   * at strong edges brings that near 1.5‰ for a little texture and correlation.
   */
  edgeFidelityDamping: 0.5,
  /** Resemblance low-pass σ, in source pixels. */
  resemblanceSigma: 1.0,
  /** The degradation model back-projection assumes, and how its error is spread back. */
  backProjectDown: "lanczos3" as ResampleFilter,
  backProjectUp: "linear" as ResampleFilter,
  /** Where colour (R−Y, B−Y) comes from: the fidelity branch or the source enlarged with Lanczos-3. */
  chromaFrom: "source" as "fidelity" | "source",
  /** Back-projection iterations. */
  backProjections: 2,
  /**
   * Overshoot allowed beyond the fidelity branch's local range on flat areas / strong edges,
   * and how much of any excess is kept (beyond the allowance it is divided by 5 rather than
   * cut at 2×: no flat plateaus, and at 2× there is little ringing to cut).
   */
  haloAllowanceFlat: 0.04,
  haloAllowanceEdge: 0.004,
  haloExcessKept: 0.2,
  /** The window (output pixels either side) of the range the overshoot is clipped to. */
  haloRadius: 2,
  /**
   * Where the guard is relieved (hair strands), what bounds the result instead: the union of
   * the fidelity and the detail branch's local ranges ("detail"), or nothing ("none").
   */
  reliefBound: "detail" as "detail" | "none",
  /**
   * Where the guard is relieved, how much of the fidelity branch's lift remains (× relief):
   * lifted and unclipped, the fidelity model's flat-inside strokes come back as strokes.
   */
  fidelityLiftOnStrands: 0,
  /** The local range (luma) at which an edge counts as strong. */
  strongEdge: 0.25,
  /**
   * What changes at 4× and above; between 2× and 4× numbers are interpolated by scale (the
   * window rounded), above 4× these hold, since detail is more guess than recovery there.
   * The fidelity model is softer at 4×, and its finest band correlates only 0.17 with the
   * original's detail (face, Laplacians), a band down to σ 1.6 output pixels 0.26–0.27. So
   * at 4× (round trip, face, default preset; astronaut / camera portrait):
   * - the fidelity lift takes that wider band at a lower gain: detail correlation from
   *   0.297 / 0.263 (under the fidelity model's 0.305 / 0.269) to 0.309 / 0.304;
   * - it is damped less at strong edges: edges carry most of the correlation and the
   *   texture ratio (full damping: correlation 0.28 against 0.32 undamped), but undamped it
   *   rang more on JPEG sources (camera portrait, JPEG q70: 52 % of the detail model's halo
   *   against 49 % at a quarter);
   * - more detail gain: texture ratio from 0.69 / 0.56 to 0.77 / 0.65, PSNR-Y 0.33 / 0.36 dB
   *   under the fidelity model;
   * - the overshoot clip follows the fidelity branch's 3×3 range with a small allowance: a
   *   5×5 range (more than a source pixel) reaches across a soft edge and let the lifted edge
   *   brighten its dark side (1.8–2.0‰ on the camera portrait; now 1.3‰, 20 % of the detail
   *   model's).
   * At 2× the first tuning stays: there the same changes traded 0.3 dB of PSNR for texture.
   */
  at4x: {
    creativityGain: 14,
    fidelityHighGain: 0.6,
    fidelityBandSigma: 0.4,
    edgeFidelityDamping: 0.25,
    haloAllowanceFlat: 0.005,
    haloAllowanceEdge: 0,
    haloExcessKept: 0,
    haloRadius: 1,
  },
};

type ScaledKey = keyof typeof BLEND_TUNING.at4x;

/**
 * The scale-dependent tuning for an enlargement: the 2× values up to 2×, `at4x` from 4×,
 * linear in between (the window radius rounded).
 *
 * @example tuningAt(4).creativityGain === BLEND_TUNING.at4x.creativityGain
 */
export function tuningAt(scale: number): Record<ScaledKey, number> {
  const t = BLEND_TUNING;
  const along = Math.min(1, Math.max(0, (scale - 2) / 2));
  const keys = Object.keys(t.at4x) as ScaledKey[];
  const out = {} as Record<ScaledKey, number>;
  // Weighted this way the end points are exactly the 2× and the 4× values.
  for (const key of keys) out[key] = t[key] * (1 - along) + t.at4x[key] * along;
  out.haloRadius = Math.max(1, Math.round(out.haloRadius));
  return out;
}

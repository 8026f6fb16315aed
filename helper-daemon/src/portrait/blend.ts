/**
 * The fidelity/detail blend. A plain linear mix of a PSNR-oriented upscale (fidelity) and a
 * GAN upscale (detail) loses on every count at once, so the blend works by frequency band,
 * in luma only, and only where the detail branch agrees with the source:
 *
 * 1. the detail branch's finest band (detail − its low-pass) is added to the fidelity branch,
 *    by creativity × the region's factor × a per-pixel agreement gate (where the detail
 *    branch, seen at the source's size, departs from the source, its invention is dropped),
 *    and the fidelity branch's own finest band is lifted by the same amount;
 * 2. resemblance pulls the low frequencies back to the fidelity branch's;
 * 3. back-projection makes the result, seen at the source's size, match the source;
 * 4. guards: overshoot beyond the fidelity branch's local range at strong edges is clipped
 *    softly (no halos), and only luma changes: colour (R−Y, B−Y) comes from the source
 *    enlarged with Lanczos-3 (measured: ΔE 0.46 against 0.76 taking it from the fidelity
 *    model, which drifts tone slightly), so no colour fringes and no tone shift.
 * Everything is float and deterministic; the 8-bit encoder does any dithering.
 */
import {
  gaussianBlur,
  localMinMax,
  luma,
  resizeImage,
  resizePlane,
  type Plane,
  type ResampleKernel,
  type RgbImage,
} from "./planes";

/** What the blend needs, all resolved (0..1 unless said). */
export interface BlendSettings {
  /** How much of the detail branch's synthetic high band to use. */
  readonly creativity: number;
  /** How strongly the result is held to the source (low frequencies, back-projection). */
  readonly resemblance: number;
  /** Per-pixel multiplier for creativity at the output size (region factors), or one number. */
  readonly detailFactor?: Plane | number;
  /** Anti-halo strength: 0 off, 1 full (default 1). */
  readonly antiHalo?: number;
  /** Last luma step before colour is put back (denoise, grain). */
  readonly finishLuma?: (luma: Plane) => Plane;
}

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
   * Detail gain per unit of creativity at 2×. At 2× the fidelity model is already sharp and
   * this gain keeps the result 1.3–1.9 dB above it with the texture ratio near 0.7–0.75.
   */
  creativityGain: 10.5,
  /**
   * The same gain at 4× and above (linear in between): the fidelity model is softer there,
   * so the default creativity 0.3 needs more to reach a texture ratio near 0.75 (×4 round
   * trip, face: 10.5 gave 0.70 on the astronaut and 0.57 on the camera portrait, 13 gives
   * 0.76 and 0.66 within 0.45 dB of the fidelity model). Not raised further above 4×, where
   * detail is more guess than recovery.
   */
  creativityGainAt4x: 13,
  /** Agreement gate: detail's deviation from the source (0..1 luma) at which it is halved. */
  gateHalf: 0.0225,
  /** How much of the fidelity branch's own high band is kept under the detail (1 = add, 0 = replace). */
  keepFidelityHigh: 1,
  /**
   * Extra gain (× creativity gain × region factor) on the fidelity branch's own high band:
   * its detail correlates with the truth better than the detail branch's, so it keeps the
   * detail correlation up while the texture ratio rises.
   */
  fidelityHighGain: 0.6,
  /**
   * Low-pass σ (source pixels) that splits off the fidelity branch's lifted band: wider than
   * the detail branch's. Measured at 4× (face, Laplacians against the original): the fidelity
   * model's finest band correlates only 0.17 with the truth's detail, a band down to σ 1.6
   * output pixels 0.26–0.27; lifting the wider band at 0.6 instead of the finest at 1.1 took
   * the detail correlation from under the fidelity model's to above it on both portraits.
   */
  fidelityBandSigma: 0.4,
  /** How much less detail strong edges (local range ≥ strongEdge) receive: 0 none, 1 all. */
  edgeDetailDamping: 0,
  /**
   * How much less the fidelity branch's own band is lifted at strong edges. Edges carry most
   * of the detail correlation and the texture ratio, so damping them cost both (at 4×, full
   * damping: correlation 0.28 against 0.32 undamped); the 3×3 overshoot clip below now keeps
   * the ringing the lift would cause at bay instead.
   */
  edgeFidelityDamping: 0,
  /** Resemblance low-pass σ, in source pixels. */
  resemblanceSigma: 1.0,
  /** The degradation model back-projection assumes, and how its error is spread back. */
  backProjectDown: "lanczos3" as ResampleKernel,
  backProjectUp: "linear" as ResampleKernel,
  /** Where colour (R−Y, B−Y) comes from: the fidelity branch or the source enlarged with Lanczos-3. */
  chromaFrom: "source" as "fidelity" | "source",
  /** Back-projection iterations. */
  backProjections: 2,
  /**
   * Overshoot allowed beyond the fidelity branch's 3×3 range on flat areas / strong edges,
   * and how much of any excess is kept. A 5×5 range (one source pixel at 4×) reaches across
   * a soft edge and let a lifted edge brighten its dark side: at 4× that rang at 1.8–2.0‰ on
   * the camera portrait; the 3×3 range with a small allowance holds it near 1.3‰.
   */
  haloAllowanceFlat: 0.005,
  haloAllowanceEdge: 0,
  haloExcessKept: 0,
  /** The window (output pixels either side) of the range the overshoot is clipped to. */
  haloRadius: 1,
  /** The local range (luma) at which an edge counts as strong. */
  strongEdge: 0.25,
};

/** The result and its by-products, which the review and the bench look at. */
export interface BlendResult {
  readonly image: RgbImage;
  /** The agreement gate (0..1) at the output size. */
  readonly gate: Plane;
}

/**
 * Blends the two branches (both at the output size) against the source.
 *
 * @example const { image } = blendBranches(source, fidelity, detail, { creativity: 0.3, resemblance: 0.85 });
 */
export function blendBranches(source: RgbImage, fidelity: RgbImage, detail: RgbImage, settings: BlendSettings): BlendResult {
  const { width, height } = fidelity;
  const scale = width / source.width;
  const t = BLEND_TUNING;
  const yS = luma(source);
  const yF = luma(fidelity);
  const yD = luma(detail);

  const gate = agreementGate(yS, yD, width, height);
  // The band is what a 3×3 neighbourhood of the output sees as texture: never narrower
  // than the output's own finest scale, however small the enlargement.
  const bandSigma = Math.max(t.minBandSigma, t.bandSigma * scale);
  const lowD = gaussianBlur(yD, bandSigma).data;
  const lowF = gaussianBlur(yF, Math.max(t.minBandSigma, t.fidelityBandSigma * scale)).data;
  const factor = settings.detailFactor ?? 1;
  const k = Math.max(0, settings.creativity) * creativityGainAt(scale);
  const y = new Float32Array(width * height);
  // Strong edges already carry their structure: lifting them further is what rings.
  const range = localMinMax(yF, Math.max(2, Math.round(scale / 2)));
  for (let i = 0; i < y.length; i++) {
    const f = typeof factor === "number" ? factor : factor.data[i];
    const edge = Math.min(1, (range.max.data[i] - range.min.data[i]) / t.strongEdge);
    const highD = yD.data[i] - lowD[i];
    const highF = yF.data[i] - lowF[i];
    const detailGain = k * f * gate.data[i] * (1 - t.edgeDetailDamping * edge);
    const fidelityGain = t.fidelityHighGain * k * f * (1 - t.edgeFidelityDamping * edge);
    y[i] = yF.data[i] + detailGain * (highD - (1 - t.keepFidelityHigh) * highF) + fidelityGain * highF;
  }
  let result: Plane = { width, height, data: y };

  const r = Math.min(1, Math.max(0, settings.resemblance));
  if (r > 0) {
    const sigma = t.resemblanceSigma * scale;
    const lowResult = gaussianBlur(result, sigma).data;
    const lowFid = gaussianBlur(yF, sigma).data;
    for (let i = 0; i < y.length; i++) y[i] += r * (lowFid[i] - lowResult[i]);
    result = backProject(result, yS, r, t.backProjections);
  }
  if ((settings.antiHalo ?? 1) > 0) result = limitOvershoot(result, yF, settings.antiHalo ?? 1, scale);
  if (settings.finishLuma) result = settings.finishLuma(result);
  if (t.chromaFrom === "source") {
    const base = resizeImage({ width: source.width, height: source.height, rgb: source.rgb }, width, height, "lanczos3");
    const image = applyLumaChange(base, luma(base), result);
    return { image: fidelity.alpha ? { ...image, alpha: fidelity.alpha } : image, gate };
  }
  return { image: applyLumaChange(fidelity, yF, result), gate };
}

/** The detail gain per unit of creativity at an enlargement (see `BLEND_TUNING`). */
export function creativityGainAt(scale: number): number {
  const t = BLEND_TUNING;
  const along = Math.min(1, Math.max(0, (scale - 2) / 2));
  return t.creativityGain + (t.creativityGainAt4x - t.creativityGain) * along;
}

/**
 * 1 where the detail branch, area-averaged to the source's size, matches the source; falls
 * to 0 where it departs (invented or moved structure), upsampled smoothly to the output.
 */
export function agreementGate(sourceLuma: Plane, detailLuma: Plane, width: number, height: number): Plane {
  const down = resizePlane(detailLuma, sourceLuma.width, sourceLuma.height, "area");
  const err = new Float32Array(down.data.length);
  for (let i = 0; i < err.length; i++) {
    const d = down.data[i] - sourceLuma.data[i];
    err[i] = d * d;
  }
  // RMS over a small neighbourhood: one noisy pixel must not open or close the gate.
  const local = gaussianBlur({ width: sourceLuma.width, height: sourceLuma.height, data: err }, 1);
  const up = resizePlane(local, width, height, "linear");
  const half = BLEND_TUNING.gateHalf;
  const gate = new Float32Array(width * height);
  for (let i = 0; i < gate.length; i++) gate[i] = 1 / (1 + Math.max(0, up.data[i]) / (half * half));
  return { width, height, data: gate };
}

/**
 * Iterative back-projection: the result's area-downscale is compared with the source and
 * the difference, upsampled, is added back (`strength` of it), so nothing the source shows
 * is lost or moved.
 */
export function backProject(result: Plane, sourceLuma: Plane, strength: number, iterations: number): Plane {
  let current = result;
  for (let n = 0; n < iterations; n++) {
    const down = resizePlane(current, sourceLuma.width, sourceLuma.height, BLEND_TUNING.backProjectDown);
    const diff = new Float32Array(down.data.length);
    for (let i = 0; i < diff.length; i++) diff[i] = sourceLuma.data[i] - down.data[i];
    const up = resizePlane({ width: sourceLuma.width, height: sourceLuma.height, data: diff }, current.width, current.height, BLEND_TUNING.backProjectUp);
    const next = new Float32Array(current.data.length);
    for (let i = 0; i < next.length; i++) next[i] = current.data[i] + strength * up.data[i];
    current = { width: current.width, height: current.height, data: next };
  }
  return current;
}

/**
 * Anti-halo guard: where the result leaves the fidelity branch's 3×3 range by more than a
 * small allowance, the excess is removed (`haloExcessKept` of it stays); the allowance
 * shrinks further at strong edges, where ringing is seen first (nose bridge, lashes, jaw).
 * The clip follows the fidelity branch's local extremes, which vary, so it leaves no flat
 * plateaus.
 */
export function limitOvershoot(result: Plane, reference: Plane, strength: number, scale: number): Plane {
  const t = BLEND_TUNING;
  // An edge of the fidelity branch spans about `scale` pixels; the window must see both sides.
  // Whether a pixel is at a strong edge is judged over both sides of it (an edge of the
  // fidelity branch spans about `scale` pixels); the clip itself uses the tighter window.
  const wide = localMinMax(reference, Math.max(2, Math.round(scale / 2)));
  const { min, max } = localMinMax(reference, t.haloRadius);
  const out = new Float32Array(result.data.length);
  for (let i = 0; i < out.length; i++) {
    const range = wide.max.data[i] - wide.min.data[i];
    const edge = Math.min(1, range / t.strongEdge);
    const allowance = t.haloAllowanceFlat + (t.haloAllowanceEdge - t.haloAllowanceFlat) * edge;
    const v = result.data[i];
    const hi = max.data[i] + allowance;
    const lo = min.data[i] - allowance;
    let clipped = v;
    if (v > hi) clipped = hi + (v - hi) * t.haloExcessKept;
    else if (v < lo) clipped = lo - (lo - v) * t.haloExcessKept;
    out[i] = v + strength * (clipped - v);
  }
  return { width: result.width, height: result.height, data: out };
}

/**
 * Adds the luma change (result − fidelity luma) equally to R, G and B of the fidelity
 * branch: colour differences (R−Y, B−Y) stay the fidelity branch's, so hue does not drift.
 */
export function applyLumaChange(fidelity: RgbImage, fidelityLuma: Plane, result: Plane): RgbImage {
  const n = fidelity.width * fidelity.height;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const d = result.data[i] - fidelityLuma.data[i];
    rgb[i] = fidelity.rgb[i] + d;
    rgb[n + i] = fidelity.rgb[n + i] + d;
    rgb[2 * n + i] = fidelity.rgb[2 * n + i] + d;
  }
  return fidelity.alpha ? { width: fidelity.width, height: fidelity.height, rgb, alpha: fidelity.alpha } : { width: fidelity.width, height: fidelity.height, rgb };
}

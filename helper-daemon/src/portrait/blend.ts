/**
 * The fidelity/detail blend. A plain linear mix of a PSNR-oriented upscale (fidelity) and a
 * GAN upscale (detail) loses on every count at once, so the blend works by frequency band,
 * in luma only, and only where the detail branch agrees with the source:
 *
 * 1. the detail branch's finest band (detail − its low-pass) is added to the fidelity branch,
 *    by creativity × the region's factor × a per-pixel agreement gate (where the detail
 *    branch, seen at the source's size, departs from the source, its invention is dropped),
 *    and the fidelity branch's own high band is lifted in proportion (a wider band at 4×,
 *    where the fidelity model is softer: see `BLEND_TUNING.at4x`);
 * 2. resemblance pulls the low frequencies back to the fidelity branch's;
 * 3. back-projection makes the result, seen at the source's size, match the source;
 * 4. guards: overshoot beyond the fidelity branch's local range is clipped (softly at 2×,
 *    tightly at 4×; no halos; on hair strands the detail branch's range bounds it too: see
 *    `overshootRelief`), and only luma changes: colour (R−Y, B−Y) comes from the source
 *    enlarged with Lanczos-3 (measured: ΔE 0.46 against 0.76 taking it from the fidelity
 *    model, which drifts tone slightly), so no colour fringes and no tone shift.
 * Everything is float and deterministic; the 8-bit encoder does any dithering.
 */
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { gaussianBlur, localMinMax } from "../image/filters";
import { resampleImage, resizePlane } from "../image/resample";
import { BLEND_TUNING, tuningAt } from "./blend-tuning";

export { BLEND_TUNING, tuningAt } from "./blend-tuning";

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
  const yF = luma(fidelity);
  const { luma: result, gate } = blendLuma({ sourceLuma: luma(source), fidelityLuma: yF, detailLuma: luma(detail) }, settings);
  if (BLEND_TUNING.chromaFrom === "source") {
    const base = resampleImage({ width: source.width, height: source.height, rgb: source.rgb }, { width: width, height: height, filter: "lanczos3" });
    const image = applyLumaChange(base, luma(base), result);
    return { image: fidelity.alpha ? { ...image, alpha: fidelity.alpha } : image, gate };
  }
  return { image: applyLumaChange(fidelity, yF, result), gate };
}

/** The luma planes the blend works on. */
export interface BlendPlanes {
  /** The source's luma (the pass's input size). */
  readonly sourceLuma: Plane;
  /** The fidelity branch's luma at the output size. */
  readonly fidelityLuma: Plane;
  /** The detail branch's luma at the output size. */
  readonly detailLuma: Plane;
  /**
   * How much of the detail branch's band is used at each output pixel (routing: 1 where the
   * detail model ran, 0 where it did not; the luma there is unused). Default 1.
   */
  readonly detailWeight?: Plane;
  /** How much the overshoot guard is relaxed per output pixel (0 not, 1 off; hair strands). Default 0. */
  readonly overshootRelief?: Plane;
}

/**
 * The blend in luma: steps 1–3 and the anti-halo guard of the module comment, then
 * `finishLuma`. Colour is put back by the caller ({@link applyLumaChange}).
 *
 * @example const { luma: y } = blendLuma({ sourceLuma, fidelityLuma, detailLuma }, { creativity: 0.3, resemblance: 0.85 });
 */
export function blendLuma(planes: BlendPlanes, settings: BlendSettings): { luma: Plane; gate: Plane } {
  const { sourceLuma: yS, fidelityLuma: yF, detailLuma: yD, detailWeight, overshootRelief } = planes;
  const { width, height } = yF;
  const scale = width / yS.width;
  const t = BLEND_TUNING;

  const gate = agreementGate(yS, yD, width, height);
  const lowD = gaussianBlur(yD, detailBandSigma(scale)).data;
  const at = tuningAt(scale);
  const lowF = gaussianBlur(yF, Math.max(t.minBandSigma, at.fidelityBandSigma * scale)).data;
  const factor = settings.detailFactor ?? 1;
  const k = Math.max(0, settings.creativity) * at.creativityGain;
  const y = new Float32Array(width * height);
  // Strong edges already carry their structure: lifting them further is what rings.
  const range = localMinMax(yF, Math.max(2, Math.round(scale / 2)));
  for (let i = 0; i < y.length; i++) {
    const f = typeof factor === "number" ? factor : factor.data[i];
    const edge = Math.min(1, (range.max.data[i] - range.min.data[i]) / t.strongEdge);
    const highD = yD.data[i] - lowD[i];
    const highF = yF.data[i] - lowF[i];
    const weight = detailWeight ? detailWeight.data[i] : 1;
    const detailGain = k * f * gate.data[i] * weight * (1 - t.edgeDetailDamping * edge);
    const strands = overshootRelief ? 1 - overshootRelief.data[i] * (1 - t.fidelityLiftOnStrands) : 1;
    const fidelityGain = at.fidelityHighGain * k * f * (1 - at.edgeFidelityDamping * edge) * strands;
    y[i] = yF.data[i] + detailGain * (highD - (1 - t.keepFidelityHigh) * highF) + fidelityGain * highF;
  }
  let result: Plane = { width, height, data: y };

  const r = Math.min(1, Math.max(0, settings.resemblance));
  if (r > 0) {
    // low(yF) − low(y) = low(yF − y): one blur instead of two (the blend's widest).
    const gap = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) gap[i] = yF.data[i] - y[i];
    const lowGap = gaussianBlur({ width, height, data: gap }, t.resemblanceSigma * scale).data;
    for (let i = 0; i < y.length; i++) y[i] += r * lowGap[i];
    result = backProject(result, yS, r, t.backProjections);
  }
  if ((settings.antiHalo ?? 1) > 0) {
    const reliefRange = overshootRelief && t.reliefBound === "detail" ? localMinMax(yD, at.haloRadius) : undefined;
    result = limitOvershoot(result, yF, settings.antiHalo ?? 1, scale, range, overshootRelief, reliefRange);
  }
  if (settings.finishLuma) result = settings.finishLuma(result);
  return { luma: result, gate };
}

/**
 * The low-pass σ (output pixels) that splits off the detail branch's band the blend borrows at
 * `scale`: what a 3×3 neighbourhood of the output sees as texture, never narrower than the
 * output's own finest scale, however small the enlargement.
 */
export function detailBandSigma(scale: number): number {
  return Math.max(BLEND_TUNING.minBandSigma, BLEND_TUNING.bandSigma * scale);
}

/**
 * Source pixels around a region that the blend reads to get that region right: the chain
 * of its neighbourhoods (gate blur and resampling, band blurs, resemblance blur, two
 * back-projections, the overshoot window, the denoise) reaches about 19 source pixels.
 */
export const BLEND_CONTEXT = 24;

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
 * Anti-halo guard: where the result leaves the fidelity branch's local range (5×5 at 2×,
 * 3×3 from 4×) by more than an allowance, the excess is compressed (at 2×) or removed (from
 * 4×); the allowance shrinks at strong edges, where ringing is seen first (nose bridge,
 * lashes, jaw), and is more generous on texture. The bounds follow the fidelity branch's
 * local extremes, which vary, so even a full clip leaves no flat plateaus.
 */
export function limitOvershoot(
  result: Plane,
  reference: Plane,
  strength: number,
  scale: number,
  /** `localMinMax(reference, max(2, round(scale / 2)))` when the caller has it already. */
  referenceRange?: { min: Plane; max: Plane },
  /** Per pixel, how much of the guard is relieved (0 none, 1 all). */
  relief?: Plane,
  /** Where relieved, the bounds widen to this range too (the detail branch's); without it the guard is lifted. */
  reliefRange?: { min: Plane; max: Plane },
): Plane {
  const t = BLEND_TUNING;
  const at = tuningAt(scale);
  // Whether a pixel is at a strong edge is judged over both sides of it (an edge of the
  // fidelity branch spans about `scale` pixels); the clip itself may use a tighter window.
  const edgeRadius = Math.max(2, Math.round(scale / 2));
  const wide = referenceRange ?? localMinMax(reference, edgeRadius);
  const { min, max } = at.haloRadius === edgeRadius ? wide : localMinMax(reference, at.haloRadius);
  const out = new Float32Array(result.data.length);
  for (let i = 0; i < out.length; i++) {
    const range = wide.max.data[i] - wide.min.data[i];
    const edge = Math.min(1, range / t.strongEdge);
    const allowance = at.haloAllowanceFlat + (at.haloAllowanceEdge - at.haloAllowanceFlat) * edge;
    const v = result.data[i];
    const widen = reliefRange && relief ? relief.data[i] : 0;
    let hi = max.data[i] + allowance;
    let lo = min.data[i] - allowance;
    if (widen > 0 && reliefRange) {
      hi += widen * Math.max(0, reliefRange.max.data[i] + allowance - hi);
      lo -= widen * Math.max(0, lo - (reliefRange.min.data[i] - allowance));
    }
    let clipped = v;
    if (v > hi) clipped = hi + (v - hi) * at.haloExcessKept;
    else if (v < lo) clipped = lo - (lo - v) * at.haloExcessKept;
    out[i] = v + strength * (relief && !reliefRange ? 1 - relief.data[i] : 1) * (clipped - v);
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

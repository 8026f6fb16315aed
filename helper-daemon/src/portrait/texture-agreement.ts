/**
 * Texture agreement: how much of each branch's sub-pixel texture the source supports, per
 * output pixel, at 4×. What is finer than a source pixel is the models' guess; it is welcome
 * where it continues the source's structure (hair strands along the source's own
 * orientation, isotropic pore-scale grain on skin) and unwelcome where it does not (strokes
 * and contoured blotches on skin the source shows as smooth, strokes across the source's
 * direction, steps on the source's pixel grid that turn hair into squares at the hairline).
 * Three measures, on what each branch added to the source's Lanczos enlargement in that band:
 *
 * 1. orientation: the detail band's structure tensor against the source's (double-angle
 *    agreement); coherent strokes keep their weight only where the source has structure
 *    along them, isotropic grain needs none;
 * 2. smoothness: where the source is smooth (low gradient energy), a band's strength beyond
 *    pore-scale amplitude is attenuated (the "watercolour" patches on cheeks);
 * 3. blocks: where a band's steps sit on the source's pixel grid (every `scale` output
 *    pixels) rather than anywhere, it is drawing the source's pixels as squares.
 *
 * The detail branch gets a weight the blend multiplies into its detail gain; the fidelity
 * branch's band is damped by the same smoothness and block measures (on the README sample
 * the blocks and most blotches are the fidelity model's), and along agreeing strands a
 * little of the detail branch's band replaces it. Up to 2× the stage does nothing (the
 * tuning there is measured as it is); from 2× to 4× it fades in. Pure and deterministic; it
 * reads about 6 source pixels around each pixel (band, energy and tensor blurs).
 */
import type { Plane } from "../image/plane";
import { gaussianBlur } from "../image/filters";
import { resizePlane } from "../image/resample";
import { structureTensor, type Tensor } from "./structure-tensor";
import { HAIR_STRANDS, reshapeFidelityBand, strandOvershootRelief, strandStrengthAt, type HairSkinMasks } from "./hair-strands";

/** The stage's constants, named, so the bench can report what it measured. */
export const TEXTURE_AGREEMENT = {
  /** 0 turns the stage off (the quality bench measures before/after in one run), 1 full. */
  strength: 1,
  /**
   * How much of the detail branch's band replaces the fidelity branch's along agreeing
   * strands. The blend lifts the fidelity band again, so this is strong: on the astronaut ×4
   * round trip (default preset) 0.05 kept the texture ratio (0.70) with PSNR-Y 0.02 dB under
   * the stage off; 0.3 cost 0.7 dB, 1 cost 3.3 dB and rang (halo 0.6‰ → 7.8‰).
   */
  strandSwap: 0.05,
  /** Structure tensor smoothing of the source, in source pixels. */
  sourceTensorSigma: 1,
  /** The sub-pixel band: detail − its blur at this σ × scale (output pixels), half a source pixel. */
  bandSigma: 1,
  /** Structure tensor smoothing of the band, × scale output pixels. */
  bandTensorSigma: 0.5,
  /** Source gradient energy (luma² per source pixel²) at which the source counts as half structured. */
  flatEnergy: 0.0004,
  /** The band's RMS (luma) that smooth skin may carry: pore-scale grain. */
  poreAmplitude: 0.004,
  /**
   * Band coherence (0..1) below which texture counts as isotropic grain and at which it is a
   * stroke: white noise measures 0.2–0.3 through a tensor this small.
   */
  grainCoherence: 0.3,
  strokeCoherence: 0.7,
  /** Weight never falls below this: the blend still gets some of the GAN's texture. */
  floor: 0.15,
};

/** What the stage reads: luma planes of the pass's source, and of both branches at the output size. */
export interface TextureAgreementInput {
  readonly sourceLuma: Plane;
  readonly fidelityLuma: Plane;
  readonly detailLuma: Plane;
}

/** What the blend gets instead of the fidelity luma, and the weight for the detail branch's band. */
export interface TextureAgreement {
  /** The fidelity luma with its sub-pixel band replaced by the detail branch's where that agrees, and damped where it blocks or blotches. */
  readonly fidelityLuma: Plane;
  /** How much of the detail branch's band the blend may add (0..1). */
  readonly detailWeight: Plane;
}

/** How strongly the stage acts at a scale: 0 up to 2×, 1 from 4×, linear between. */
export function agreementStrengthAt(scale: number): number {
  return Math.min(1, Math.max(0, (scale - 2) / 2)) * TEXTURE_AGREEMENT.strength;
}

/**
 * The texture agreement of both branches with the source (see the module comment); the
 * input planes unchanged and a weight of 1 when the stage does not act at this scale.
 *
 * @example const { fidelityLuma, detailWeight } = textureAgreement({ sourceLuma, fidelityLuma: yF, detailLuma: yD });
 */
export function textureAgreement(input: TextureAgreementInput): TextureAgreement {
  const { sourceLuma, fidelityLuma, detailLuma } = input;
  const { width, height } = detailLuma;
  const scale = width / sourceLuma.width;
  const amount = agreementStrengthAt(scale);
  const weight = new Float32Array(width * height).fill(1);
  if (amount <= 0) return { fidelityLuma, detailWeight: { width, height, data: weight } };
  const t = TEXTURE_AGREEMENT;

  const source = sourceTensor(sourceLuma, width, height);
  const sigma = t.bandSigma * scale;
  const bandD = subPixelBand(detailLuma, sigma, false);
  const bandF = subPixelBand(fidelityLuma, sigma, false);
  // What each branch added to the source's own enlargement, in the same band, is what is judged
  // for orientation and strength; steps are judged on the band itself, where they are sharpest.
  const enlarged = resizePlane(sourceLuma, width, height, "lanczos3");
  const addedD = subPixelBand(difference(detailLuma, enlarged), sigma);
  const addedF = subPixelBand(difference(fidelityLuma, enlarged), sigma);
  const tensorD = structureTensor(addedD, t.bandTensorSigma * scale);
  const blocksD = gridStepExcess(bandD, scale);
  const blocksF = gridStepExcess(bandF, scale);
  const fidelity = new Float32Array(width * height);
  for (let i = 0; i < weight.length; i++) {
    const sEnergy = Math.max(0, source.xx[i] + source.yy[i]);
    const structured = sEnergy / (sEnergy + t.flatEnergy);
    const dEnergy = Math.max(1e-12, tensorD.xx[i] + tensorD.yy[i]);
    const ddx = tensorD.xx[i] - tensorD.yy[i];
    const ddy = 2 * tensorD.xy[i];
    const dMag = Math.hypot(ddx, ddy);
    const coherence = strokeLikeness(dMag / dEnergy);
    const sdx = source.xx[i] - source.yy[i];
    const sdy = 2 * source.xy[i];
    const sMag = Math.hypot(sdx, sdy);
    // cos of twice the angle between the orientations, mapped to 0 (across) .. 1 (along).
    const along = sMag > 0 && dMag > 0 ? 0.5 * (1 + (ddx * sdx + ddy * sdy) / (dMag * sMag)) : 0.5;
    // A coherent stroke needs structure along it in the source; isotropic grain needs none.
    const orientation = 1 - coherence + coherence * structured * along;
    const keepD = Math.max(t.floor, orientation * poreLimit(structured, addedD.energy[i]) * (1 - blocksD[i]));
    // Strands along the source's structure: the detail branch draws them, the fidelity branch smears them.
    const agree = amount * coherence * structured * along * (1 - blocksD[i]);
    weight[i] = 1 - amount * (1 - keepD);
    const swap = t.strandSwap * agree;
    const keepF = 1 - amount * (1 - poreLimit(structured, addedF.energy[i]) * (1 - blocksF[i]));
    fidelity[i] = fidelityLuma.data[i] - bandF.data[i] + (1 - swap) * keepF * bandF.data[i] + swap * bandD.data[i];
  }
  return { fidelityLuma: { width, height, data: fidelity }, detailWeight: { width, height, data: weight } };
}

/** 0 for isotropic grain, 1 for a stroke, from the band's measured coherence. */
function strokeLikeness(coherence: number): number {
  const { grainCoherence: lo, strokeCoherence: hi } = TEXTURE_AGREEMENT;
  return Math.min(1, Math.max(0, (coherence - lo) / (hi - lo)));
}

/** On smooth source (structured near 0) a band may carry pore-scale grain, not more. */
function poreLimit(structured: number, energy: number): number {
  const rms = Math.sqrt(energy);
  return structured + (1 - structured) * Math.min(1, TEXTURE_AGREEMENT.poreAmplitude / Math.max(1e-6, rms));
}

/** The source's structure tensor (per source pixel²), smoothed, then carried to the output size. */
function sourceTensor(sourceLuma: Plane, width: number, height: number): Tensor {
  const t = structureTensor(sourceLuma, TEXTURE_AGREEMENT.sourceTensorSigma);
  const up = (data: Float32Array) => resizePlane({ width: sourceLuma.width, height: sourceLuma.height, data }, width, height, "linear").data;
  return { xx: up(t.xx), xy: up(t.xy), yy: up(t.yy) };
}

function difference(a: Plane, b: Plane): Plane {
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] - b.data[i];
  return { width: a.width, height: a.height, data };
}

/** A band plane and its local energy (mean square over the tensor's neighbourhood). */
interface Band extends Plane {
  readonly energy: Float32Array;
}

/** detail − Gaussian(σ): what is finer than the source could show, with its local energy when asked (one more blur). */
function subPixelBand(detail: Plane, sigma: number, withEnergy = true): Band {
  const low = gaussianBlur(detail, sigma).data;
  const data = new Float32Array(detail.data.length);
  const sq = new Float32Array(detail.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = detail.data[i] - low[i];
    sq[i] = data[i] * data[i];
  }
  const energy = withEnergy ? gaussianBlur({ width: detail.width, height: detail.height, data: sq }, sigma).data : sq;
  return { width: detail.width, height: detail.height, data, energy };
}

/**
 * How much the band's steps favour the source's pixel grid (0: steps anywhere, as texture
 * has them; 1: steps only between source pixels, as enlarged squares have them). Measured
 * over a few source pixels around each pixel; 0 when the scale is not a whole number ≥ 3.
 */
export function gridStepExcess(band: Plane, scale: number): Float32Array {
  const { width: w, height: h, data } = band;
  const out = new Float32Array(w * h);
  const s = Math.round(scale);
  if (s < 3 || Math.abs(scale - s) > 1e-6) return out;
  // Squared steps, split into those across a grid line and all of them.
  const onGrid = new Float32Array(w * h);
  const all = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const dx = x > 0 ? data[i] - data[i - 1] : 0;
      const dy = y > 0 ? data[i] - data[i - w] : 0;
      const sx = dx * dx;
      const sy = dy * dy;
      all[i] = sx + sy;
      onGrid[i] = (x % s === 0 ? sx : 0) + (y % s === 0 ? sy : 0);
    }
  const sigma = s * 1.5;
  const g = gaussianBlur({ width: w, height: h, data: onGrid }, sigma).data;
  const a = gaussianBlur({ width: w, height: h, data: all }, sigma).data;
  for (let i = 0; i < out.length; i++) {
    if (!(a[i] > 1e-10)) continue;
    // Texture puts 1/s of its steps on the grid (per axis); squares put all of them there.
    const share = g[i] / a[i];
    out[i] = Math.min(1, Math.max(0, (share * s - 1) / (s - 1)));
  }
  return out;
}

/**
 * The blend's planes with the texture agreement applied: the one call the pass makes where
 * the detail branch meets the blend (`detailWeight` is routing's, multiplied by the agreement).
 * With `hairSkin` (the window's masks, made only when the stage acts) the fidelity band is
 * first reshaped into strands on hair and smoothed on smooth skin, and the blend's overshoot
 * guard is relieved on the hair's strands (`overshootRelief`; hair-strands.ts).
 */
export function withTextureAgreement<T extends TextureAgreementInput & { readonly detailWeight: Plane }>(
  planes: T,
  hairSkin?: () => HairSkinMasks,
): T & { readonly overshootRelief?: Plane } {
  if (agreementStrengthAt(planes.detailLuma.width / planes.sourceLuma.width) <= 0) return planes;
  // Strands and smooth skin first, so the agreement judges the fidelity band the blend will lift.
  const masks = hairSkin && strandStrengthAt(planes.detailLuma.width / planes.sourceLuma.width) > 0 ? hairSkin() : null;
  const reshaped = masks ? reshapeFidelityBand(planes.sourceLuma, planes.fidelityLuma, planes.detailLuma, masks) : planes.fidelityLuma;
  const agreed = textureAgreement({ ...planes, fidelityLuma: reshaped });
  const data = agreed.detailWeight.data;
  for (let i = 0; i < data.length; i++) data[i] *= planes.detailWeight.data[i];
  const relief = masks && HAIR_STRANDS.overshootRelief > 0 ? { overshootRelief: strandOvershootRelief(planes.sourceLuma, masks) } : {};
  return { ...planes, fidelityLuma: agreed.fidelityLuma, detailWeight: agreed.detailWeight, ...relief };
}

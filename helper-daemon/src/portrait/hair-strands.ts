/**
 * Strands, not brush strokes; skin, not watercolour: a reshaping of the fidelity branch's
 * band from one to a few source pixels, at 4× (fading in from 2× like the texture
 * agreement), on the hair and skin masks only. Looked at on the README sample at 4×, the
 * painterly hair (short strokes with flat insides, steps on the source's pixel grid) and the
 * fine mottling on cheeks and forehead are both drawn by the fidelity model at ×4 in that
 * band, and the blend lifts it (`BLEND_TUNING.at4x`). Raw x4plus draws longer, thinner
 * strokes there, Lanczos none. So, in that band of the fidelity branch:
 *
 * - on hair, where the source has coherent structure, the band is smoothed along the
 *   source's own orientation (its structure tensor): a stroke's ends and its steps on the
 *   pixel grid spread along the strand, while what changes across it — the strand's edges —
 *   is kept; the blend then lifts strands rather than strokes;
 * - on skin, where the source is smooth, the band is smoothed in every direction: the
 *   source shows nothing at that scale there, so what the model drew is mottling; pores
 *   come from the detail branch, whose band the texture agreement already holds to pore
 *   amplitude.
 *
 * That made strokes longer but left their flat insides. Those come from the blend's
 * overshoot guard: at 4× it clips the result to the fidelity branch's 3×3 range, and inside a
 * flat stroke of the fidelity model that range is flat, so whatever strands the blend adds
 * are cut back to the stroke. So on hair, where the source has a direction, the stage also
 * hands the blend a relief plane ({@link strandOvershootRelief}): there the guard bounds the
 * result by the detail branch's range as well, and the fidelity band is not lifted (lifted
 * and unclipped, its strokes come back as strokes), so the detail branch's strands show.
 *
 * Back-projection afterwards puts back whatever the source does show at its own size. Pure
 * and deterministic; it reads about 6 source pixels around each pixel (band and tensor blurs, the
 * blur along strands), well inside the window context.
 */
import type { Plane } from "../image/plane";
import { bilinearTap, sampleTap } from "../image/bilinear";
import { gaussianBlur } from "../image/filters";
import { resizePlane } from "../image/resample";
import { structureTensor } from "./structure-tensor";

/** The stage's constants, named, so the bench can report what it measured. */
export const HAIR_STRANDS = {
  /** 0 turns the stage off (the quality bench measures before/after in one run), 1 full. */
  strength: 1,
  /** The band reshaped: the fidelity luma − its blur at this σ, in source pixels (× scale at the output). */
  bandSigma: 1,
  /**
   * Smoothing along the source's orientation on hair, σ in source pixels. Astronaut ×4
   * round trip, default preset, against the stage off: 0.75 moved nothing measurable (hair
   * texture ratio 0.65 → 0.62) and looked the same; 1.5 (with skin 1) lengthens strokes
   * into strands and hides the grid steps, for −0.05 dB PSNR-Y on the face, −0.02 whole.
   */
  alongSigma: 1.5,
  /**
   * How much of the hair's band is taken from the detail branch (x4plus), smoothed along the
   * same orientation: its strokes are longer and thinner than the fidelity model's.
   */
  detailOnHair: 0,
  /**
   * How far the blend's overshoot guard is relieved on hair with a direction (0 not, 1 fully;
   * `BLEND_TUNING.reliefBound`, `fidelityLiftOnStrands`). Astronaut ×4 round trip, default
   * preset: 1 gives long thin strands for +0.05 dB PSNR-Y on the face; relieving the guard
   * but keeping the fidelity lift gave −0.29 dB and strokes with texture inside, 0.25–0.5
   * of that still painterly (docs/architecture.md, "Hair strands").
   */
  overshootRelief: 1,
  /** How much the relief follows the source's coherence (0: the hair mask alone, 1: mask × coherence; 0 cost 0.04 dB more on the face for no visible gain). */
  reliefFollowsCoherence: 1,
  /** Smoothing on smooth skin, σ in source pixels (0.5 left the mottling visible on the README sample). */
  skinSigma: 1,
  /** Source structure tensor smoothing, in source pixels. */
  tensorSigma: 1,
  /** Source coherence (0..1) below which hair has no direction to follow, and at which it fully has one. */
  coherenceLow: 0.2,
  coherenceHigh: 0.5,
  /** Source gradient energy (luma² per source pixel²) at which skin counts as half structured. */
  flatEnergy: 0.0004,
};

/** The hair and skin masks (0..1) at the output size of the window the blend works on. */
export interface HairSkinMasks {
  readonly hair: Plane;
  readonly skin: Plane;
}

/** How strongly the stage acts at a scale: 0 up to 2×, 1 from 4×, linear between. */
export function strandStrengthAt(scale: number): number {
  return Math.min(1, Math.max(0, (scale - 2) / 2)) * HAIR_STRANDS.strength;
}

/**
 * The fidelity luma with its one-to-few source pixel band smoothed along the source's
 * strands on hair and in every direction on smooth skin (see the module comment); the
 * same plane when the stage does not act at this scale.
 *
 * @example const yF2 = reshapeFidelityBand(sourceLuma, fidelityLuma, detailLuma, { hair, skin });
 */
export function reshapeFidelityBand(sourceLuma: Plane, fidelityLuma: Plane, detailLuma: Plane, masks: HairSkinMasks): Plane {
  const { width, height } = fidelityLuma;
  const scale = width / sourceLuma.width;
  const amount = strandStrengthAt(scale);
  if (amount <= 0) return fidelityLuma;
  const t = HAIR_STRANDS;
  const low = gaussianBlur(fidelityLuma, t.bandSigma * scale).data;
  const band = new Float32Array(width * height);
  for (let i = 0; i < band.length; i++) band[i] = fidelityLuma.data[i] - low[i];
  const bandPlane = { width, height, data: band };
  const source = sourceOrientation(sourceLuma, width, height);
  const along = blurAlong(bandPlane, source.dirX, source.dirY, t.alongSigma * scale);
  if (t.detailOnHair > 0) {
    const lowD = gaussianBlur(detailLuma, t.bandSigma * scale).data;
    const bandD = new Float32Array(width * height);
    for (let i = 0; i < bandD.length; i++) bandD[i] = detailLuma.data[i] - lowD[i];
    const alongD = blurAlong({ width, height, data: bandD }, source.dirX, source.dirY, t.alongSigma * scale);
    for (let i = 0; i < along.length; i++) along[i] = (1 - t.detailOnHair) * along[i] + t.detailOnHair * alongD[i];
  }
  const round = gaussianBlur(bandPlane, t.skinSigma * scale).data;
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const hair = amount * masks.hair.data[i] * source.coherence[i];
    const skin = amount * masks.skin.data[i] * (1 - source.structured[i]);
    // Hair and skin masks meet at the hairline; there the two smoothings share the pixel.
    const total = Math.max(1, hair + skin);
    out[i] = fidelityLuma.data[i] + (hair / total) * (along[i] - band[i]) + (skin / total) * (round[i] - band[i]);
  }
  return { width, height, data: out };
}

/**
 * How much the blend's overshoot guard is relaxed at each output pixel (0 not at all, 1 off):
 * on hair where the source has a direction, by its coherence; 0 everywhere below 4× fade-in.
 *
 * @example const relief = strandOvershootRelief(sourceLuma, { hair, skin });
 */
export function strandOvershootRelief(sourceLuma: Plane, masks: HairSkinMasks): Plane {
  const { width, height } = masks.hair;
  const amount = strandStrengthAt(width / sourceLuma.width) * HAIR_STRANDS.overshootRelief;
  const data = new Float32Array(width * height);
  if (amount <= 0) return { width, height, data };
  const source = sourceOrientation(sourceLuma, width, height);
  const follows = HAIR_STRANDS.reliefFollowsCoherence;
  for (let i = 0; i < data.length; i++) data[i] = amount * masks.hair.data[i] * (1 - follows + follows * source.coherence[i]);
  return { width, height, data };
}

/** Per output pixel: the unit direction along the source's structure, how coherent it is (0..1), how structured (0..1). */
interface Orientation {
  readonly dirX: Float32Array;
  readonly dirY: Float32Array;
  readonly coherence: Float32Array;
  readonly structured: Float32Array;
}

/** The source's structure tensor (smoothed), carried to the output size and read as an orientation. */
function sourceOrientation(sourceLuma: Plane, width: number, height: number): Orientation {
  const t = HAIR_STRANDS;
  const { width: w, height: h } = sourceLuma;
  const tensor = structureTensor(sourceLuma, t.tensorSigma);
  const up = (d: Float32Array) => resizePlane({ width: w, height: h, data: d }, width, height, "linear").data;
  const [sxx, sxy, syy] = [up(tensor.xx), up(tensor.xy), up(tensor.yy)];
  const n = width * height;
  const dirX = new Float32Array(n);
  const dirY = new Float32Array(n);
  const coherence = new Float32Array(n);
  const structured = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const energy = Math.max(0, sxx[i] + syy[i]);
    const dx = sxx[i] - syy[i];
    const dy = 2 * sxy[i];
    const mag = Math.hypot(dx, dy);
    // The gradient's double angle is atan2(dy, dx); strands run across the gradient.
    const across = 0.5 * Math.atan2(dy, dx);
    dirX[i] = -Math.sin(across);
    dirY[i] = Math.cos(across);
    const c = energy > 1e-12 ? mag / energy : 0;
    coherence[i] = Math.min(1, Math.max(0, (c - t.coherenceLow) / (t.coherenceHigh - t.coherenceLow)));
    structured[i] = energy / (energy + t.flatEnergy);
  }
  return { dirX, dirY, coherence, structured };
}

/** A Gaussian blur along a per-pixel direction (one-pixel steps, bilinear samples, edges clamped). */
export function blurAlong(plane: Plane, dirX: Float32Array, dirY: Float32Array, sigma: number): Float32Array {
  const { width: w, height: h, data } = plane;
  const reach = Math.max(1, Math.ceil(2 * sigma));
  const weights = Array.from({ length: 2 * reach + 1 }, (_, k) => Math.exp(-((k - reach) ** 2) / (2 * sigma * sigma)));
  const sample = (x: number, y: number): number => sampleTap(data, 0, bilinearTap(x, y, w, h));
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let sum = 0;
      let total = 0;
      for (let k = -reach; k <= reach; k++) {
        const weight = weights[k + reach];
        sum += weight * sample(x + k * dirX[i], y + k * dirY[i]);
        total += weight;
      }
      out[i] = sum / total;
    }
  return out;
}

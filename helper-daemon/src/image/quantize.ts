/**
 * Planar float → interleaved integer samples, for any rectangle of a larger result: the one
 * rounding rule of the engine. Whole images (image.ts) and results written window by window
 * (result-sink.ts) both go through it, so they give the same bytes.
 */
import type { ChannelCount, InterleavedSamples } from "./image";
import { LUMA_WEIGHTS } from "./plane";

// Bayer 4×4 thresholds centred on zero, in units of one output step.
const BAYER_4X4 = new Float32Array([0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5].map((v) => (v + 0.5) / 16 - 0.5));

/** Where a block of planar float pixels goes in interleaved samples. */
export interface QuantizeTarget<T extends InterleavedSamples> {
  readonly out: T;
  /** Width of the whole interleaved image, pixels. */
  readonly width: number;
  readonly channels: ChannelCount;
  readonly maxValue: number;
  /** Ordered (Bayer 4×4) dithering, keyed to the pixel's position in the whole image. */
  readonly dither: boolean;
}

/** A rectangle of planar float planes: `planes` of `width`×`height`, read from (`x`, `y`) for `copyWidth`×`copyHeight`. */
export interface PlanarBlock {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  readonly x: number;
  readonly y: number;
}

/**
 * Writes the colour channels of `size` pixels of `block` (RGB planes) at (`toX`, `toY`) of
 * `target`, clamped to 0..maxValue and rounded (after dithering). Grey output takes the luma
 * (Rec. 601; equal planes stay exact). Alpha channels are left as they are.
 */
export function quantizeColour<T extends InterleavedSamples>(
  block: PlanarBlock,
  size: { readonly width: number; readonly height: number },
  target: QuantizeTarget<T>,
  toX: number,
  toY: number,
): void {
  const { out, channels, maxValue, dither } = target;
  const plane = block.width * block.height;
  const rgb = block.data;
  const colour = channels >= 3 ? 3 : 1;
  for (let row = 0; row < size.height; row++) {
    const y = toY + row;
    let i = (block.y + row) * block.width + block.x;
    let s = (y * target.width + toX) * channels;
    for (let x = toX; x < toX + size.width; x++, i++, s += channels) {
      const r = rgb[i];
      const g = rgb[plane + i];
      const b = rgb[2 * plane + i];
      const threshold = dither ? BAYER_4X4[((y & 3) << 2) | (x & 3)] : 0;
      if (colour === 3) {
        out[s] = quantize(r, maxValue, threshold);
        out[s + 1] = quantize(g, maxValue, threshold);
        out[s + 2] = quantize(b, maxValue, threshold);
      } else {
        out[s] = quantize(r === g && g === b ? r : LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b, maxValue, threshold);
      }
    }
  }
}

/**
 * Writes the alpha channel of a whole image (no-op without one): `alpha` rounded and clamped
 * (never dithered: it would speckle hard edges), or fully opaque when `alpha` is undefined.
 */
export function quantizeAlpha<T extends InterleavedSamples>(alpha: Float32Array | undefined, target: QuantizeTarget<T>): void {
  const { out, channels, maxValue } = target;
  if (channels !== 2 && channels !== 4) return;
  for (let i = 0, s = channels - 1; s < out.length; i++, s += channels) {
    const a = alpha === undefined ? maxValue : Math.round(alpha[i] * maxValue);
    out[s] = a < 0 ? 0 : a > maxValue ? maxValue : a;
  }
}

function quantize(value: number, maxValue: number, threshold: number): number {
  const v = Math.round(value * maxValue + threshold);
  return v < 0 ? 0 : v > maxValue ? maxValue : v;
}

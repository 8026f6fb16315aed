/**
 * The one in-memory image type of the engine and the small conversions around it.
 * Samples are float32, nominally 0..1, and are never clamped or rounded here: only
 * encoding (codec.ts) clamps and rounds, so intermediate stages keep overshoot.
 * The rest of the image module: plane.ts (Plane, luma), filters.ts, resample.ts, crop.ts.
 */
import { quantizeAlpha, quantizeColour } from "./quantize";

/** Planar float32 RGB, nominally 0..1, never clamped until encoding. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** 3 planes: R at [0, w*h), G at [w*h, 2*w*h), B after: exactly the model's NCHW layout. */
  readonly rgb: Float32Array;
  /** One plane 0..1, or undefined when the source is fully opaque (costs nothing then). */
  readonly alpha?: Float32Array;
}

/** Channel counts of interleaved sources: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
export type ChannelCount = 1 | 2 | 3 | 4;

/** Interleaved integer samples as produced or consumed by codecs. */
export type InterleavedSamples = Uint8Array | Uint16Array;

/** A blank (all zero) image; `withAlpha` adds a zero alpha plane. */
export function createRgbImage(width: number, height: number, withAlpha = false): RgbImage {
  const pixels = width * height;
  return withAlpha
    ? { width, height, rgb: new Float32Array(3 * pixels), alpha: new Float32Array(pixels) }
    : { width, height, rgb: new Float32Array(3 * pixels) };
}

/** True when the channel count carries alpha (grey+alpha or RGBA). */
export function hasAlphaChannel(channels: ChannelCount): boolean {
  return channels === 2 || channels === 4;
}

/**
 * Interleaved samples (u8 or u16, `channels` per pixel, rows top to bottom) → planar float.
 * `maxValue` is 255 for u8 and 65535 for u16. Grey is copied to all three planes.
 * Alpha is dropped (left undefined) when every sample is fully opaque.
 */
export function interleavedToPlanar(
  samples: InterleavedSamples,
  width: number,
  height: number,
  channels: ChannelCount,
  maxValue: number,
): RgbImage {
  const pixels = width * height;
  const rgb = new Float32Array(3 * pixels);
  const scale = 1 / maxValue;
  const colourChannels = channels >= 3 ? 3 : 1;
  if (colourChannels === 3) {
    for (let i = 0, s = 0; i < pixels; i++, s += channels) {
      rgb[i] = samples[s] * scale;
      rgb[pixels + i] = samples[s + 1] * scale;
      rgb[2 * pixels + i] = samples[s + 2] * scale;
    }
  } else {
    for (let i = 0, s = 0; i < pixels; i++, s += channels) {
      const v = samples[s] * scale;
      rgb[i] = v;
      rgb[pixels + i] = v;
      rgb[2 * pixels + i] = v;
    }
  }
  if (!hasAlphaChannel(channels)) return { width, height, rgb };
  const alphaOffset = channels - 1;
  let opaque = true;
  for (let i = 0, s = alphaOffset; i < pixels; i++, s += channels) {
    if (samples[s] !== maxValue) {
      opaque = false;
      break;
    }
  }
  if (opaque) return { width, height, rgb };
  const alpha = new Float32Array(pixels);
  for (let i = 0, s = alphaOffset; i < pixels; i++, s += channels) alpha[i] = samples[s] * scale;
  return { width, height, rgb, alpha };
}

/** Interleaved u8 (`channels` per pixel) → planar float 0..1. */
export function interleavedU8ToPlanar(samples: Uint8Array, width: number, height: number, channels: ChannelCount): RgbImage {
  return interleavedToPlanar(samples, width, height, channels, 255);
}

/** Interleaved u16 full range 0..65535 (`channels` per pixel) → planar float 0..1. */
export function interleavedU16ToPlanar(samples: Uint16Array, width: number, height: number, channels: ChannelCount): RgbImage {
  return interleavedToPlanar(samples, width, height, channels, 65535);
}

/** Options for converting planar float back to integers. */
export interface QuantizeOptions {
  /**
   * Ordered (4×4 Bayer) dithering before rounding: hides banding in smooth gradients
   * when writing 8 bits. Deterministic; off by default.
   */
  readonly dither?: boolean;
}

/**
 * Planar float → interleaved integers with `channels` per pixel, clamped to 0..maxValue
 * and rounded (quantize.ts). Grey output takes the luma of RGB (plane.ts: Rec. 601; equal
 * planes stay exact). A missing alpha plane is written as fully opaque.
 */
export function planarToInterleaved<T extends InterleavedSamples>(
  image: RgbImage,
  channels: ChannelCount,
  out: T,
  maxValue: number,
  options: QuantizeOptions = {},
): T {
  const target = { out, width: image.width, channels, maxValue, dither: options.dither === true };
  quantizeColour({ data: image.rgb, width: image.width, height: image.height, x: 0, y: 0 }, image, target, 0, 0);
  quantizeAlpha(image.alpha, target);
  return out;
}

/** Planar float → interleaved u8 with `channels` per pixel (clamped, rounded). */
export function planarToInterleavedU8(image: RgbImage, channels: ChannelCount, options: QuantizeOptions = {}): Uint8Array {
  return planarToInterleaved(image, channels, new Uint8Array(image.width * image.height * channels), 255, options);
}

/** Planar float → interleaved u16 full range with `channels` per pixel (clamped, rounded). */
export function planarToInterleavedU16(image: RgbImage, channels: ChannelCount, options: QuantizeOptions = {}): Uint16Array {
  return planarToInterleaved(image, channels, new Uint16Array(image.width * image.height * channels), 65535, options);
}

/** One grey plane (w*h) → planar RGB with the plane copied three times. */
export function greyPlaneToRgb(grey: Float32Array, width: number, height: number): RgbImage {
  const pixels = width * height;
  const rgb = new Float32Array(3 * pixels);
  rgb.set(grey, 0);
  rgb.set(grey, pixels);
  rgb.set(grey, 2 * pixels);
  return { width, height, rgb };
}

/** A copy of the image with the alpha plane replaced (or removed when `alpha` is undefined). */
export function withAlpha(image: RgbImage, alpha: Float32Array | undefined): RgbImage {
  return alpha === undefined
    ? { width: image.width, height: image.height, rgb: image.rgb }
    : { width: image.width, height: image.height, rgb: image.rgb, alpha };
}

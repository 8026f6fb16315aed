/**
 * A result kept in its final bit depth while it is made: windows of planar float are rounded
 * into interleaved samples as they finish, so the output never exists as float. At 24 MP ×2
 * (96 MP out) that is 288 MB of 8-bit RGB (576 MB at 16 bits) instead of 1.15 GB of float
 * plus the encoder's own interleaved copy.
 */
import type { BitDepth } from "./codec";
import type { ChannelCount, InterleavedSamples } from "./image";
import type { PixelRect } from "./crop";
import { quantizeAlpha, quantizeColour, type QuantizeTarget } from "./quantize";

/** Takes a result window by window (planar float), then its alpha. */
export interface ResultSink {
  readonly width: number;
  readonly height: number;
  /** Writes the part `owned` (output pixels) of `rgb`, planar RGB covering `view` (output pixels). */
  write(rgb: Float32Array, view: PixelRect, owned: PixelRect): void;
  /** Called once after every window: the result's alpha at the output size, undefined when opaque. */
  finish(alpha: Float32Array | undefined): void;
}

/** How the samples are laid out: what the encoder will write. */
export interface SampleLayout {
  readonly channels: ChannelCount;
  readonly bitDepth: BitDepth;
  /** Ordered dithering for 8-bit output. */
  readonly dither: boolean;
}

/** A sink whose result is interleaved integer samples, ready for the encoder. */
export interface SampleSink extends ResultSink {
  readonly layout: SampleLayout;
  /** Interleaved samples, `channels` per pixel (Uint16Array at 16 bits); complete after `finish`. */
  readonly samples: InterleavedSamples;
}

/**
 * A sink that rounds each window into interleaved samples of `layout`: the same bytes as
 * rounding the whole float result at the end (`planarToInterleaved`).
 * @example const sink = sampleSink(12000, 8000, { channels: 3, bitDepth: 8, dither: false });
 */
export function sampleSink(width: number, height: number, layout: SampleLayout): SampleSink {
  const count = width * height * layout.channels;
  const samples = layout.bitDepth === 16 ? new Uint16Array(count) : new Uint8Array(count);
  const target: QuantizeTarget<InterleavedSamples> = {
    out: samples,
    width,
    channels: layout.channels,
    maxValue: layout.bitDepth === 16 ? 65535 : 255,
    dither: layout.dither,
  };
  return {
    width,
    height,
    layout,
    samples,
    write(rgb, view, owned) {
      const block = { data: rgb, width: view.width, height: view.height, x: owned.x - view.x, y: owned.y - view.y };
      quantizeColour(block, owned, target, owned.x, owned.y);
    },
    finish(alpha) {
      quantizeAlpha(alpha, target);
    },
  };
}

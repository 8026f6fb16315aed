/** The layout of raw interleaved pixels, as both ends describe an image they send. */
import type { ImageHeader, Placement } from "./protocol";

/** Interleaved samples, rows top to bottom, no padding; 16-bit samples little-endian. */
export interface PixelLayout {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  /** A colour profile name carried back untouched. */
  readonly colorProfile?: string;
  /** Where the pixels sit in the Photoshop document; the result's is scaled to match. */
  readonly placement?: Placement;
}

/**
 * The protocol's image header for `layout`'s pixels of `byteLength` bytes with CRC-32 `crc32`
 * (lower-case hex): the optional fields only when present.
 * @example imageHeaderOf({ width: 2, height: 1, channels: 3, bitDepth: 8 }, 6, "0a1b2c3d").byteLength // 6
 */
export function imageHeaderOf(layout: PixelLayout, byteLength: number, crc32: string): ImageHeader {
  return {
    width: layout.width,
    height: layout.height,
    channels: layout.channels,
    bitDepth: layout.bitDepth,
    ...(layout.colorProfile !== undefined ? { colorProfile: layout.colorProfile } : {}),
    ...(layout.placement !== undefined ? { placement: layout.placement } : {}),
    byteLength,
    crc32,
  };
}

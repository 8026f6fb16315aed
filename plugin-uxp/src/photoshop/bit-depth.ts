/**
 * Photoshop's 16-bit mode stores samples as 0..32768 (15 bits plus one, so that 50 % grey is
 * exact), while the daemon, PNG and TIFF use the full 0..65535 range. These conversions are
 * exact inverses on Photoshop's values: every one of the 32769 levels survives the round trip,
 * and full white stays full white both ways (peers that scale by 2 never reach 65535).
 */

/** Photoshop's largest 16-bit sample value. */
export const PHOTOSHOP_16_MAX = 32768;
/** The daemon's (and PNG's) largest 16-bit sample value. */
export const FULL_16_MAX = 65535;

/** One Photoshop 16-bit level (0..32768) in the full range (0..65535). */
export function photoshopToFull16(value: number): number {
  // Integer arithmetic: (v × 65535 + 16384) / 32768, floored, is round-half-up without floats.
  return Math.floor((value * FULL_16_MAX + PHOTOSHOP_16_MAX / 2) / PHOTOSHOP_16_MAX);
}

/** One full-range level (0..65535) in Photoshop's 16-bit range (0..32768). */
export function full16ToPhotoshop(value: number): number {
  return Math.floor((value * PHOTOSHOP_16_MAX + Math.floor(FULL_16_MAX / 2)) / FULL_16_MAX);
}

/**
 * Photoshop-native samples as the bytes the daemon expects: 8-bit as they are, 16-bit
 * converted to the full range and written little-endian (whatever the machine's order).
 */
export function photoshopSamplesToWire(samples: Uint8Array | Uint16Array, bitDepth: 8 | 16): Uint8Array {
  if (bitDepth === 8) {
    if (!(samples instanceof Uint8Array)) throw new TypeError("Expected a Uint8Array for 8-bit samples");
    return samples;
  }
  const bytes = new Uint8Array(samples.length * 2);
  for (let i = 0, o = 0; i < samples.length; i++, o += 2) {
    const full = photoshopToFull16(samples[i]);
    bytes[o] = full & 0xff;
    bytes[o + 1] = full >>> 8;
  }
  return bytes;
}

/** The daemon's bytes (16-bit little-endian full range) as Photoshop-native samples. */
export function wireToPhotoshopSamples(bytes: Uint8Array, bitDepth: 8 | 16): Uint8Array | Uint16Array {
  if (bitDepth === 8) return bytes;
  if (bytes.length % 2 !== 0) throw new RangeError(`Expected an even byte count for 16-bit samples but received ${bytes.length}`);
  const samples = new Uint16Array(bytes.length / 2);
  for (let i = 0, o = 0; i < samples.length; i++, o += 2) samples[i] = full16ToPhotoshop(bytes[o] | (bytes[o + 1] << 8));
  return samples;
}

/** Full-range 16-bit samples (as in a PNG or from the daemon) from Photoshop-native ones. */
export function photoshopSamplesToFull16(samples: Uint16Array): Uint16Array {
  const out = new Uint16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = photoshopToFull16(samples[i]);
  return out;
}

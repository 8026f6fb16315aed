/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by zlib, PNG and gzip,
 * so any language's standard library (Python's zlib.crc32) computes the same value.
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Continues a CRC-32 over more bytes; start from 0. Feeding chunks in order gives the
 * same value as one call over the whole data.
 * @example crc32Update(crc32Update(0, first), second) === crc32(whole)
 */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32 of `bytes` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}

/** A CRC-32 spelt as the protocol spells it: 8 lower-case hex digits. */
export function crc32Hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

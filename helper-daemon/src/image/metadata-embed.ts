/**
 * Writes ICC profile bytes (and pixel density) into encoded files without touching the pixels.
 *
 * sharp can only attach a profile by converting the pixels to it (`withIccProfile`) or
 * by keeping the profile of its own input (`keepIccProfile`); our encoder's input is raw
 * pixels that are already in the profile's colour space. So the profile is inserted into
 * the container afterwards: a PNG iCCP chunk, JPEG APP2 segments, a WebP ICCP chunk, or a
 * TIFF ICC tag (34675) — byte for byte as the source carried it. Density has the same
 * problem (sharp's `withMetadata` also converts to sRGB), so PNG pHYs and JPEG JFIF
 * density are written here too.
 */
import { crc32, deflateSync } from "node:zlib";

/** Container formats that can carry an ICC profile. */
export type IccContainer = "png" | "jpeg" | "webp" | "tiff";

/**
 * Returns `encoded` with `profile` embedded. `hasAlpha`, `width` and `height` are needed
 * only when a simple WebP must be turned into an extended one.
 */
export function embedIccProfile(
  encoded: Uint8Array,
  format: IccContainer,
  profile: Uint8Array,
  image: { readonly width: number; readonly height: number; readonly hasAlpha: boolean },
): Uint8Array {
  switch (format) {
    case "png":
      return embedInPng(encoded, profile);
    case "jpeg":
      return embedInJpeg(encoded, profile);
    case "webp":
      return embedInWebp(encoded, profile, image);
    case "tiff":
      return embedInTiff(encoded, profile);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function malformed(format: string): Error {
  return new Error(`The encoder produced a ${format} stream this module does not understand`);
}

// PNG: signature, then chunks of (length u32 BE, type, data, crc32 of type+data).
function embedInPng(png: Uint8Array, profile: Uint8Array): Uint8Array {
  // A profile and an sRGB chunk contradict each other; the profile wins.
  const withoutSrgb = removePngChunk(png, "sRGB");
  const data = concat([new TextEncoder().encode("ICC profile"), new Uint8Array([0, 0]), deflateSync(profile)]);
  return insertPngChunkAfterHeader(withoutSrgb, "iCCP", data);
}

function removePngChunk(png: Uint8Array, type: string): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const kept: Uint8Array[] = [png.subarray(0, 8)];
  for (let offset = 8; offset + 8 <= png.length; ) {
    const end = offset + 12 + view.getUint32(offset);
    if (String.fromCharCode(...png.subarray(offset + 4, offset + 8)) !== type) kept.push(png.subarray(offset, end));
    offset = end;
  }
  return concat(kept);
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(new TextEncoder().encode(type), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

// JPEG: APP2 "ICC_PROFILE\0" segments, each with a 1-based sequence number and the count.
const JPEG_ICC_SIGNATURE = new TextEncoder().encode("ICC_PROFILE\0");
const JPEG_ICC_CHUNK = 65535 - 2 - JPEG_ICC_SIGNATURE.length - 2;

function embedInJpeg(jpeg: Uint8Array, profile: Uint8Array): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw malformed("JPEG");
  // After SOI and a JFIF APP0, which decoders expect first.
  let insertAt = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) insertAt = 4 + ((jpeg[4] << 8) | jpeg[5]);
  const count = Math.ceil(profile.length / JPEG_ICC_CHUNK);
  const segments: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = profile.subarray(i * JPEG_ICC_CHUNK, (i + 1) * JPEG_ICC_CHUNK);
    const segment = new Uint8Array(4 + JPEG_ICC_SIGNATURE.length + 2 + data.length);
    const length = segment.length - 2;
    segment.set([0xff, 0xe2, length >> 8, length & 0xff]);
    segment.set(JPEG_ICC_SIGNATURE, 4);
    segment.set([i + 1, count], 4 + JPEG_ICC_SIGNATURE.length);
    segment.set(data, 6 + JPEG_ICC_SIGNATURE.length);
    segments.push(segment);
  }
  return concat([jpeg.subarray(0, insertAt), ...segments, jpeg.subarray(insertAt)]);
}

// WebP: RIFF container; an ICCP chunk must directly follow a VP8X header with the ICC flag.
function embedInWebp(webp: Uint8Array, profile: Uint8Array, image: { width: number; height: number; hasAlpha: boolean }): Uint8Array {
  const text = (at: number) => String.fromCharCode(...webp.subarray(at, at + 4));
  if (text(0) !== "RIFF" || text(8) !== "WEBP") throw malformed("WebP");
  const first = text(12);
  let header: Uint8Array;
  let rest: Uint8Array;
  if (first === "VP8X") {
    header = webp.slice(12, 30);
    header[8] |= 0x20;
    rest = webp.subarray(30);
  } else {
    header = new Uint8Array(18);
    header.set(new TextEncoder().encode("VP8X"), 0);
    new DataView(header.buffer).setUint32(4, 10, true);
    header[8] = 0x20 | (image.hasAlpha ? 0x10 : 0);
    writeU24(header, 12, image.width - 1);
    writeU24(header, 15, image.height - 1);
    rest = webp.subarray(12);
  }
  const padded = profile.length % 2 === 0 ? profile : concat([profile, new Uint8Array(1)]);
  const iccp = new Uint8Array(8 + padded.length);
  iccp.set(new TextEncoder().encode("ICCP"), 0);
  new DataView(iccp.buffer).setUint32(4, profile.length, true);
  iccp.set(padded, 8);
  const body = concat([new TextEncoder().encode("WEBP"), header, iccp, rest]);
  const riff = new Uint8Array(8);
  riff.set(new TextEncoder().encode("RIFF"), 0);
  new DataView(riff.buffer).setUint32(4, body.length, true);
  return concat([riff, body]);
}

function writeU24(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >> 8) & 0xff;
  bytes[at + 2] = (value >> 16) & 0xff;
}

// TIFF: a copy of IFD0 with the ICC tag added is appended, then the header points to it.
// Existing data stays where it is, so every offset in the old entries remains valid.
const TIFF_TAG_ICC = 34675;
const TIFF_TYPE_UNDEFINED = 7;

function embedInTiff(tiff: Uint8Array, profile: Uint8Array): Uint8Array {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = String.fromCharCode(tiff[0], tiff[1]);
  if (order !== "II" && order !== "MM") throw malformed("TIFF");
  const little = order === "II";
  if (view.getUint16(2, little) !== 42) throw malformed("TIFF"); // BigTIFF is not written for our sizes
  const ifd = view.getUint32(4, little);
  const count = view.getUint16(ifd, little);
  const entries: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + 12 * i;
    if (view.getUint16(at, little) !== TIFF_TAG_ICC) entries.push(tiff.subarray(at, at + 12));
  }
  const nextIfd = view.getUint32(ifd + 2 + 12 * count, little);
  const start = tiff.length + (tiff.length % 2);
  const newCount = entries.length + 1;
  const profileAt = start + 2 + 12 * newCount + 4;
  const iccEntry = new Uint8Array(12);
  const entryView = new DataView(iccEntry.buffer);
  entryView.setUint16(0, TIFF_TAG_ICC, little);
  entryView.setUint16(2, TIFF_TYPE_UNDEFINED, little);
  entryView.setUint32(4, profile.length, little);
  entryView.setUint32(8, profileAt, little);
  // Entries must stay sorted by tag.
  const tagOf = (entry: Uint8Array) => new DataView(entry.buffer, entry.byteOffset, 2).getUint16(0, little);
  const sorted = [...entries, iccEntry].sort((a, b) => tagOf(a) - tagOf(b));
  const table = new Uint8Array(2 + 12 * newCount + 4);
  const tableView = new DataView(table.buffer);
  tableView.setUint16(0, newCount, little);
  sorted.forEach((entry, i) => table.set(entry, 2 + 12 * i));
  tableView.setUint32(2 + 12 * newCount, nextIfd, little);
  const out = concat([tiff, new Uint8Array(start - tiff.length), table, profile]);
  new DataView(out.buffer).setUint32(4, start, little);
  return out;
}

/** Returns `encoded` with its density set to `dpi` pixels per inch (PNG and JPEG; others unchanged). */
export function embedDensity(encoded: Uint8Array, format: IccContainer, dpi: number): Uint8Array {
  if (format === "png") {
    const data = new Uint8Array(9);
    const view = new DataView(data.buffer);
    const perMetre = Math.round(dpi / 0.0254);
    view.setUint32(0, perMetre);
    view.setUint32(4, perMetre);
    data[8] = 1; // unit: metre
    return insertPngChunkAfterHeader(encoded, "pHYs", data);
  }
  if (format === "jpeg") {
    if (encoded[0] !== 0xff || encoded[1] !== 0xd8) throw malformed("JPEG");
    const density = Math.min(65535, Math.max(1, Math.round(dpi)));
    const app0 = new Uint8Array([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 1, density >> 8, density & 0xff, density >> 8, density & 0xff, 0, 0]);
    // Replace an existing JFIF header rather than writing two.
    const rest = encoded[2] === 0xff && encoded[3] === 0xe0 ? encoded.subarray(4 + ((encoded[4] << 8) | encoded[5])) : encoded.subarray(2);
    return concat([encoded.subarray(0, 2), app0, rest]);
  }
  return encoded;
}

function insertPngChunkAfterHeader(png: Uint8Array, type: string, data: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const kept: Uint8Array[] = [png.subarray(0, 8)];
  let offset = 8;
  let inserted = false;
  while (offset + 8 <= png.length) {
    const length = view.getUint32(offset);
    const chunkType = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > png.length) throw malformed("PNG");
    if (chunkType !== type) kept.push(png.subarray(offset, end));
    if (chunkType === "IHDR") {
      kept.push(pngChunk(type, data));
      inserted = true;
    }
    offset = end;
  }
  if (!inserted) throw malformed("PNG");
  return concat(kept);
}

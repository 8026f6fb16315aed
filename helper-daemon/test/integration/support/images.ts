/** Test images: fixture crops, hand-made PNG headers, and pixel comparisons. */
import { deflateSync } from "node:zlib";
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { repositoryPath as repoPath } from "@portrait-upscale/models";
import { decodeImage } from "../../../src/image/codec";
import type { RgbImage } from "../../../src/image/image";

/** A fixture's bytes (test/fixtures/). */
export function fixture(name: string): Buffer {
  return readFileSync(repoPath("test", "fixtures", name));
}

/** A fixture cropped to `size`×`size` from (left, top), as an 8-bit RGB PNG. */
export async function fixtureCrop(name: string, size: number, left = 0, top = 0): Promise<Buffer> {
  return sharp(fixture(name)).extract({ left, top, width: size, height: size }).removeAlpha().png().toBuffer();
}

/** Decoded planar pixels of encoded bytes. */
export async function pixels(bytes: Uint8Array): Promise<RgbImage> {
  return (await decodeImage(bytes)).image;
}

/** The largest absolute difference between two same-sized float arrays. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A PNG whose header claims `width`×`height` RGB8 pixels, with a valid (tiny) data stream
 * of `rows` rows: lets tests claim sizes (0×0, 100000×100000) no encoder would write.
 */
export function pngClaiming(width: number, height: number, rows = 1): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rowBytes = 1 + 3 * Math.min(width, 16);
  const data = deflateSync(Buffer.alloc(rowBytes * rows));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", data), chunk("IEND", new Uint8Array())]);
}

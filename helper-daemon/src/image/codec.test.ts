import { crc32 } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import type { ErrorCode } from "@portrait-upscale/shared";
import { checkOutputSize, decodeImage, decodeRawPixels, encodeImage, encodeLike, encodeRawPixels } from "./codec";
import type { EncodedFormat } from "./codec";
import type { ChannelCount } from "./image";
import { createRgbImage } from "./image";

const W = 8;
const H = 6;

/** Deterministic samples that 8 bits cannot represent (not multiples of 257). */
function samples16(channels: number): Uint16Array {
  const out = new Uint16Array(W * H * channels);
  for (let i = 0; i < out.length; i++) out[i] = (i * 2311 + 1000) % 65536;
  return out;
}

function samples8(channels: number): Uint8Array {
  const out = new Uint8Array(W * H * channels);
  for (let i = 0; i < out.length; i++) out[i] = (i * 37 + 3) % 256;
  return out;
}

function colourspace(channels: number, bitDepth: 8 | 16): "b-w" | "grey16" | "srgb" | "rgb16" {
  if (channels <= 2) return bitDepth === 16 ? "grey16" : "b-w";
  return bitDepth === 16 ? "rgb16" : "srgb";
}

async function makeFile(pixels: Uint8Array | Uint16Array, channels: ChannelCount, bitDepth: 8 | 16, format: EncodedFormat): Promise<Buffer> {
  const s = sharp(pixels, { raw: { width: W, height: H, channels } }).toColourspace(colourspace(channels, bitDepth));
  return format === "tiff" ? s.tiff({ compression: "deflate" }).toBuffer() : s.png().toBuffer();
}

/** What sharp reads back from a file, without any colour conversion. */
async function readBack(bytes: Uint8Array, channels: number, bitDepth: 8 | 16): Promise<number[]> {
  // sharp's 8-bit "b-w" output drops alpha, so grey+alpha is read as RGBA and narrowed.
  const narrow = channels === 2 && bitDepth === 8;
  const { data } = await sharp(bytes, { ignoreIcc: true })
    .toColourspace(narrow ? "srgb" : colourspace(channels, bitDepth))
    .raw({ depth: bitDepth === 16 ? "ushort" : "uchar" })
    .toBuffer({ resolveWithObject: true });
  const values = Array.from(bitDepth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data);
  return narrow ? values.filter((_, i) => i % 4 === 0 || i % 4 === 3) : values;
}

async function p3Profile(): Promise<Uint8Array> {
  const png = await sharp(samples8(3), { raw: { width: W, height: H, channels: 3 } }).withIccProfile("p3").png().toBuffer();
  return new Uint8Array((await sharp(png).metadata()).icc!);
}

/** A minimal uncompressed little-endian TIFF with 32-bit float RGB samples (sharp writes 8-bit). */
function floatTiff(width: number, height: number): Buffer {
  const entries: Array<[number, number, number, number]> = [
    [256, 3, 1, width],
    [257, 3, 1, height],
    [258, 3, 3, 0], // BitsPerSample, patched to point at [32, 32, 32]
    [259, 3, 1, 1],
    [262, 3, 1, 2],
    [273, 4, 1, 0], // StripOffsets, patched
    [277, 3, 1, 3],
    [278, 3, 1, height],
    [279, 4, 1, width * height * 12],
    [284, 3, 1, 1],
    [339, 3, 3, 0], // SampleFormat, patched to point at [3, 3, 3] (IEEE float)
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const bitsAt = 8 + ifdSize;
  const formatAt = bitsAt + 6;
  const pixelsAt = formatAt + 6;
  entries[2][3] = bitsAt;
  entries[5][3] = pixelsAt;
  entries[10][3] = formatAt;
  const out = Buffer.alloc(pixelsAt + width * height * 12);
  out.write("II", 0, "latin1");
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + 12 * i;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  for (let i = 0; i < 3; i++) {
    out.writeUInt16LE(32, bitsAt + 2 * i);
    out.writeUInt16LE(3, formatAt + 2 * i);
  }
  for (let i = 0; i < width * height * 3; i++) out.writeFloatLE(0.5, pixelsAt + 4 * i);
  return out;
}

async function expectCode(promise: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<PortraitError> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitError);
    expect((error as PortraitError).code).toBe(code);
    return error as PortraitError;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, "latin1");
  Buffer.from(data).copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

describe("decodeImage / encodeLike round trips", () => {
  const cases: Array<{ channels: ChannelCount; bitDepth: 8 | 16; format: EncodedFormat }> = [];
  for (const channels of [1, 2, 3, 4] as ChannelCount[]) {
    for (const bitDepth of [8, 16] as const) for (const format of ["png", "tiff"] as const) cases.push({ channels, bitDepth, format });
  }
  it.each(cases)("$format, $channels channels, $bitDepth bits: same values, depth and channels", async ({ channels, bitDepth, format }) => {
    const pixels = bitDepth === 16 ? samples16(channels) : samples8(channels);
    const file = await makeFile(pixels, channels, bitDepth, format);
    const decoded = await decodeImage(file);
    expect(decoded).toMatchObject({ bitDepth, channels, format });
    expect(decoded.image.width).toBe(W);
    expect(decoded.image.alpha !== undefined).toBe(channels === 2 || channels === 4);
    const encoded = await encodeLike(decoded.image, decoded);
    const metadata = await sharp(encoded).metadata();
    expect(metadata.format).toBe(format);
    expect(metadata.channels).toBe(channels);
    expect(metadata.depth).toBe(bitDepth === 16 ? "ushort" : "uchar");
    expect(await readBack(encoded, channels, bitDepth)).toEqual(Array.from(pixels));
  });

  it("16-bit PNG keeps values that 8 bits cannot represent (no 8-bit step)", async () => {
    const pixels = samples16(3);
    const decoded = await decodeImage(await makeFile(pixels, 3, 16, "png"));
    expect(decoded.image.rgb[0]).toBeCloseTo(1000 / 65535, 7);
    const back = await readBack(await encodeLike(decoded.image, decoded), 3, 16);
    expect(back.some((v) => v % 257 !== 0)).toBe(true);
    expect(back).toEqual(Array.from(pixels));
  });

  it("an RGBA file that is fully opaque costs no alpha plane but is written back as RGBA", async () => {
    const pixels = samples8(4);
    for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255;
    const decoded = await decodeImage(await makeFile(pixels, 4, 8, "png"));
    expect(decoded.image.alpha).toBeUndefined();
    expect(decoded.channels).toBe(4);
    expect((await sharp(await encodeLike(decoded.image, decoded)).metadata()).channels).toBe(4);
  });

  it("applies EXIF orientation on decode (the output carries no EXIF)", async () => {
    const rotated = await sharp(samples8(3), { raw: { width: W, height: H, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const decoded = await decodeImage(rotated);
    expect([decoded.image.width, decoded.image.height]).toEqual([H, W]);
  });

  it("raw 16-bit little-endian in → identical bytes out", () => {
    const body = new Uint8Array(W * H * 4 * 2);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131 + 7) % 256;
    const decoded = decodeRawPixels(body, { width: W, height: H, channels: 4, bitDepth: 16, colorProfile: "Display P3" });
    expect(decoded).toMatchObject({ format: "raw", bitDepth: 16, channels: 4, colorProfile: "Display P3" });
    expect(decoded.image.rgb[0]).toBeCloseTo((body[0] | (body[1] << 8)) / 65535, 7);
    expect(Array.from(encodeRawPixels(decoded.image, { channels: 4, bitDepth: 16 }))).toEqual(Array.from(body));
  });

  it("raw 8-bit grey+alpha round trip", () => {
    const body = samples8(2);
    const decoded = decodeRawPixels(body, { width: W, height: H, channels: 2, bitDepth: 8 });
    expect(Array.from(encodeRawPixels(decoded.image, { channels: 2, bitDepth: 8 }))).toEqual(Array.from(body));
  });
});

describe("ICC profiles", () => {
  it.each(["png", "tiff", "jpeg", "webp"] as const)("%s: the profile comes back byte for byte and pixels are not converted", async (format) => {
    const rgb = samples8(3);
    const withProfile = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .withIccProfile("p3")
      [format === "jpeg" ? "jpeg" : format === "webp" ? "webp" : format === "tiff" ? "tiff" : "png"](format === "webp" ? { lossless: true } : {})
      .toBuffer();
    const sourceIcc = (await sharp(withProfile).metadata()).icc;
    expect(sourceIcc).toBeDefined();
    const decoded = await decodeImage(withProfile);
    expect(Buffer.from(decoded.iccProfile!).equals(sourceIcc!)).toBe(true);
    const stored = await readBack(withProfile, 3, 8);
    const out = await encodeLike(decoded.image, decoded);
    const metadata = await sharp(out).metadata();
    expect(metadata.format).toBe(format);
    expect(Buffer.from(metadata.icc!).equals(sourceIcc!)).toBe(true);
    // JPEG and WebP are lossy; the lossless ones must come back exactly as stored.
    if (format === "png" || format === "tiff") expect(await readBack(out, 3, 8)).toEqual(stored);
  });

  it.each(["tiff", "png"] as const)("16-bit RGBA %s keeps its profile and its values", async (format) => {
    const pixels = samples16(4);
    const profile = await p3Profile();
    const decoded = decodeRawPixels(new Uint8Array(pixels.buffer), { width: W, height: H, channels: 4, bitDepth: 16 });
    const out = await encodeImage(decoded.image, { format, bitDepth: 16, channels: 4, iccProfile: profile });
    const metadata = await sharp(out).metadata();
    expect(metadata.depth).toBe("ushort");
    expect(Buffer.from(metadata.icc!).equals(Buffer.from(profile))).toBe(true);
    const again = await decodeImage(out);
    expect(Buffer.from(again.iccProfile!).equals(Buffer.from(profile))).toBe(true);
    expect(await readBack(out, 4, 16)).toEqual(Array.from(pixels));
  });

  it.each(["png", "jpeg", "tiff"] as const)("%s: density is written without converting pixels", async (format) => {
    const decoded = decodeRawPixels(samples8(3), { width: W, height: H, channels: 3, bitDepth: 8 });
    const out = await encodeImage(decoded.image, { format, density: 300 });
    const metadata = await sharp(out).metadata();
    expect(metadata.density).toBeCloseTo(300, 0);
    expect(metadata.icc).toBeUndefined();
    if (format !== "jpeg") expect(await readBack(out, 3, 8)).toEqual(Array.from(samples8(3)));
  });

  it("WebP with alpha (extended format) keeps its profile", async () => {
    const rgba = samples8(4);
    const decoded = decodeRawPixels(rgba, { width: W, height: H, channels: 4, bitDepth: 8 });
    const profile = await p3Profile();
    const out = await encodeImage(decoded.image, { format: "webp", channels: 4, iccProfile: profile });
    const metadata = await sharp(out).metadata();
    expect(metadata.hasAlpha).toBe(true);
    expect(Buffer.from(metadata.icc!).equals(Buffer.from(profile))).toBe(true);
  });
});

describe("bad input gives its code", () => {
  it("not an image → INPUT_NOT_IMAGE", async () => {
    await expectCode(decodeImage(new TextEncoder().encode("this is not an image, just some words")), "INPUT_NOT_IMAGE");
  });

  it.each(["png", "jpeg", "tiff", "webp"] as const)("truncated %s → INPUT_TRUNCATED", async (format) => {
    const big = createRgbImage(64, 64);
    for (let i = 0; i < big.rgb.length; i++) big.rgb[i] = ((i * 7919) % 1000) / 1000;
    const bytes = await encodeImage(big, { format });
    await expectCode(decodeImage(bytes.subarray(0, Math.floor(bytes.length * 0.6))), "INPUT_TRUNCATED");
  });

  it("empty input → INPUT_EMPTY; raw 0×0 → INPUT_EMPTY", async () => {
    await expectCode(decodeImage(new Uint8Array(0)), "INPUT_EMPTY");
    await expectCode(() => decodeRawPixels(new Uint8Array(0), { width: 0, height: 0, channels: 3, bitDepth: 8 }), "INPUT_EMPTY");
  });

  it("a PNG header claiming 100000×100000 → INPUT_TOO_LARGE before decoding", async () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100000, 0);
    ihdr.writeUInt32BE(100000, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // colour type RGB
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk("IHDR", ihdr), pngChunk("IDAT", new Uint8Array(8)), pngChunk("IEND", new Uint8Array(0))]);
    const error = await expectCode(decodeImage(png), "INPUT_TOO_LARGE");
    expect(error.data).toMatchObject({ width: 100000, height: 100000 });
  });

  it("a raw header claiming 100000×100000 → INPUT_TOO_LARGE without reading the body", async () => {
    await expectCode(() => decodeRawPixels(new Uint8Array(16), { width: 100000, height: 100000, channels: 4, bitDepth: 16 }), "INPUT_TOO_LARGE");
  });

  it("raw body shorter than its header → INPUT_TRUNCATED; bad bit depth → UNSUPPORTED_BIT_DEPTH", async () => {
    await expectCode(() => decodeRawPixels(new Uint8Array(10), { width: 4, height: 4, channels: 3, bitDepth: 8 }), "INPUT_TRUNCATED");
    const error = await expectCode(() => decodeRawPixels(new Uint8Array(10), { width: 4, height: 4, channels: 3, bitDepth: 12 as 8 }), "UNSUPPORTED_BIT_DEPTH");
    expect(error.message).toBe("Expected 8 or 16 for bitDepth but received 12 of type number");
  });

  it("a limit smaller than the image → INPUT_TOO_LARGE", async () => {
    await expectCode(decodeImage(await makeFile(samples8(3), 3, 8, "png"), { limits: { maxInputPixels: W * H - 1 } }), "INPUT_TOO_LARGE");
  });

  it("32-bit float TIFF → UNSUPPORTED_BIT_DEPTH", async () => {
    const tiff = floatTiff(W, H);
    expect((await sharp(tiff).metadata()).depth).toBe("float");
    await expectCode(decodeImage(tiff), "UNSUPPORTED_BIT_DEPTH");
  });

  it("output too large → OUTPUT_TOO_LARGE", async () => {
    await expectCode(() => checkOutputSize(40000, 40000), "OUTPUT_TOO_LARGE");
    await expectCode(encodeImage(createRgbImage(W, H), { format: "png", limits: { maxOutputPixels: 10 } }), "OUTPUT_TOO_LARGE");
  });
});

describe("quantising", () => {
  it("clamps out-of-range floats and rounds", () => {
    const image = createRgbImage(2, 1);
    image.rgb.set([-0.2, 1.3, 0.5 / 255, 1.49 / 255, 0.2, 0.8]);
    expect(Array.from(encodeRawPixels(image, { channels: 3, bitDepth: 8 }))).toEqual([0, 1, 51, 255, 1, 204]);
  });

  it("dithering is off by default, deterministic, and stays within one step", () => {
    const image = createRgbImage(64, 4);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 64; x++) for (let c = 0; c < 3; c++) image.rgb[c * 256 + y * 64 + x] = 0.3 + x / 64 / 255;
    const plain = encodeRawPixels(image, { channels: 3, bitDepth: 8 });
    const dithered = encodeRawPixels(image, { channels: 3, bitDepth: 8, dither: true });
    expect(Array.from(encodeRawPixels(image, { channels: 3, bitDepth: 8, dither: true }))).toEqual(Array.from(dithered));
    expect(Array.from(dithered)).not.toEqual(Array.from(plain));
    let meanError = 0;
    for (let i = 0; i < dithered.length; i++) {
      const ideal = image.rgb[(i % 3) * 256 + Math.floor(i / 3)] * 255;
      expect(Math.abs(dithered[i] - ideal)).toBeLessThanOrEqual(1);
      meanError += dithered[i] - ideal;
    }
    expect(Math.abs(meanError / dithered.length)).toBeLessThan(0.05);
  });
});

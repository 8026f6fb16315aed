/**
 * Decoding and encoding with sharp, plus raw interleaved pixels as the daemon receives them.
 * Everything the output must preserve is recorded on decode: bit depth, the source's
 * channel count, format, ICC profile bytes (written back untouched) and density.
 * Pixels are never colour-converted (sharp's embedded-profile conversion is disabled);
 * clamping and rounding happen only here, on encode.
 */
import { endianness } from "node:os";
import sharp from "sharp";
import type { Metadata, OutputInfo } from "sharp";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import type { ChannelCount, InterleavedSamples, RgbImage } from "./image";
import { interleavedU16ToPlanar, interleavedU8ToPlanar, planarToInterleavedU16, planarToInterleavedU8 } from "./image";
import { embedDensity, embedIccProfile } from "./metadata-embed";

/** Encoded formats read and written through sharp. */
export type EncodedFormat = "png" | "jpeg" | "tiff" | "webp";

/** Every format an image can arrive in or leave as. */
export type ImageFormat = EncodedFormat | "raw";

/** Bits per channel sample. */
export type BitDepth = 8 | 16;

/** Pixel-count limits checked before any pixels are decoded or produced. */
export interface ImageLimits {
  readonly maxInputPixels: number;
  readonly maxOutputPixels: number;
}

/** Default limits: about 40 MP in (an 8K photo) and sharp's own 16383² out. */
export const DEFAULT_LIMITS: ImageLimits = { maxInputPixels: 40_000_000, maxOutputPixels: 0x3fff * 0x3fff };

/** A decoded image and what its encoding must preserve. */
export interface DecodedImage {
  readonly image: RgbImage;
  readonly bitDepth: BitDepth;
  /** The source's channel count: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  readonly channels: ChannelCount;
  readonly format: ImageFormat;
  /** The embedded ICC profile, byte for byte. */
  readonly iccProfile?: Uint8Array;
  /** Pixels per inch, when the file says. */
  readonly density?: number;
  /** Raw input's colour profile name, carried back untouched. */
  readonly colorProfile?: string;
  /** The source was CMYK and its pixels were converted to sRGB (callers tell the user). */
  readonly fromCmyk?: true;
}

/** Describes raw interleaved pixels: rows top to bottom, no padding, 16-bit samples little-endian. */
export interface RawHeader {
  readonly width: number;
  readonly height: number;
  readonly channels: ChannelCount;
  readonly bitDepth: BitDepth;
  readonly colorProfile?: string;
}

/** Options for decoding. */
export interface DecodeOptions {
  readonly limits?: Partial<ImageLimits>;
}

const ENCODED_FORMATS: readonly EncodedFormat[] = ["png", "jpeg", "tiff", "webp"];

function resolveLimits(limits: Partial<ImageLimits> | undefined): ImageLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

function checkInputSize(width: number, height: number, limits: ImageLimits): void {
  if (width === 0 || height === 0) throw new PortraitError("INPUT_EMPTY", undefined, { width, height });
  const pixels = width * height;
  if (pixels > limits.maxInputPixels) {
    throw new PortraitError(
      "INPUT_TOO_LARGE",
      `The input image is ${width}×${height} (${pixels} pixels); the maximum is ${limits.maxInputPixels} pixels.`,
      { width, height, pixels, maxInputPixels: limits.maxInputPixels },
    );
  }
}

/**
 * Throws OUTPUT_TOO_LARGE when a `width`×`height` result exceeds the limit. Call it before
 * upscaling (with the planned output size) so no work is wasted.
 */
export function checkOutputSize(width: number, height: number, limits?: Partial<ImageLimits>): void {
  const { maxOutputPixels } = resolveLimits(limits);
  const pixels = width * height;
  if (pixels > maxOutputPixels) {
    throw new PortraitError(
      "OUTPUT_TOO_LARGE",
      `The result would be ${width}×${height} (${pixels} pixels); the maximum is ${maxOutputPixels} pixels.`,
      { width, height, pixels, maxOutputPixels },
    );
  }
}

/**
 * Decodes PNG, JPEG, TIFF or WebP bytes (8 or 16 bits; grey, grey+alpha, RGB, RGBA).
 * The size is checked against the limits from the header before any pixel is decoded.
 * EXIF orientation is applied (the output carries no EXIF). CMYK is converted to RGB.
 * @example
 * const { image, bitDepth, iccProfile } = await decodeImage(await readFile("portrait.png"));
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const limits = resolveLimits(options.limits);
  if (bytes.length === 0) throw new PortraitError("INPUT_EMPTY", "The input is empty (0 bytes).", { bytes: 0 });
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: "none" }).metadata();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A file that starts like one of our formats but cannot be read is damaged, not foreign
    // (sharp calls a TIFF cut before its directory "unsupported").
    const looksLike = sniffFormat(bytes);
    if (looksLike === undefined) throw new PortraitError("INPUT_NOT_IMAGE", undefined, { reason: message });
    throw new PortraitError("INPUT_TRUNCATED", undefined, { reason: message, format: looksLike });
  }
  const format: string = metadata.format === "jpeg" || (metadata.format as string) === "jpg" ? "jpeg" : metadata.format;
  if (!(ENCODED_FORMATS as readonly string[]).includes(format)) {
    throw new PortraitError("INPUT_NOT_IMAGE", `Images in ${format} format are not supported; use PNG, JPEG, TIFF or WebP.`, { format });
  }
  const width = metadata.autoOrient?.width ?? metadata.width ?? 0;
  const height = metadata.autoOrient?.height ?? metadata.height ?? 0;
  checkInputSize(width, height, limits);
  const bitDepth = bitDepthOf(metadata.depth);
  const cmyk = metadata.space === "cmyk";
  const sourceChannels = metadata.channels ?? 3;
  if (!cmyk && (sourceChannels < 1 || sourceChannels > 4)) {
    throw new PortraitError("INPUT_NOT_IMAGE", `Images with ${sourceChannels} channels are not supported.`, { channels: sourceChannels });
  }
  // CMYK needs its profile to become RGB; every other source keeps its pixel values as they are.
  const pipeline = sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: "truncated", ignoreIcc: !cmyk, autoOrient: true })
    .toColourspace(bitDepth === 16 ? "rgb16" : "srgb")
    .raw({ depth: bitDepth === 16 ? "ushort" : "uchar" });
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new PortraitError("INPUT_TRUNCATED", undefined, { reason: error instanceof Error ? error.message : String(error) });
  }
  const { data, info } = decoded;
  const decodedChannels = info.channels as ChannelCount;
  const image =
    bitDepth === 16
      ? interleavedU16ToPlanar(u16View(data), info.width, info.height, decodedChannels)
      : interleavedU8ToPlanar(data, info.width, info.height, decodedChannels);
  const channels: ChannelCount = cmyk ? (metadata.hasAlpha ? 4 : 3) : (sourceChannels as ChannelCount);
  return {
    image,
    bitDepth,
    channels,
    format: format as EncodedFormat,
    ...(metadata.icc !== undefined && !cmyk ? { iccProfile: new Uint8Array(metadata.icc) } : {}),
    ...(metadata.density !== undefined ? { density: metadata.density } : {}),
    ...(cmyk ? { fromCmyk: true as const } : {}),
  };
}

/** The format a file's first bytes announce, if it is one we read. */
export function sniffFormat(bytes: Uint8Array): EncodedFormat | undefined {
  const startsWith = (signature: readonly number[], at = 0) => signature.every((b, i) => bytes[at + i] === b);
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith([0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith([0x49, 0x49, 0x2a, 0x00]) || startsWith([0x4d, 0x4d, 0x00, 0x2a]) || startsWith([0x49, 0x49, 0x2b, 0x00]) || startsWith([0x4d, 0x4d, 0x00, 0x2b])) return "tiff";
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return undefined;
}

function bitDepthOf(depth: string | undefined): BitDepth {
  if (depth === "uchar" || depth === "char" || depth === undefined) return 8;
  if (depth === "ushort" || depth === "short") return 16;
  throw new PortraitError("UNSUPPORTED_BIT_DEPTH", `Images with ${depth} samples are not supported; save as 8 or 16 bits per channel.`, {
    depth,
  });
}

function u16View(data: Uint8Array): Uint16Array {
  const aligned = data.byteOffset % 2 === 0 ? data : data.slice();
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
}

/**
 * Reads raw interleaved pixels described by `header` (the daemon's raw upload).
 * Header and limits are checked before the body is looked at, so a huge claimed size
 * costs nothing. 16-bit samples are little-endian, full range.
 * @example
 * const decoded = decodeRawPixels(body, { width: 64, height: 64, channels: 4, bitDepth: 16 });
 */
export function decodeRawPixels(bytes: Uint8Array, header: RawHeader, options: DecodeOptions = {}): DecodedImage {
  const limits = resolveLimits(options.limits);
  const { width, height, channels, bitDepth } = header;
  if (!Number.isInteger(width) || width < 0) throw invalidParameter("a non-negative integer", "width", width);
  if (!Number.isInteger(height) || height < 0) throw invalidParameter("a non-negative integer", "height", height);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) throw invalidParameter("1, 2, 3 or 4", "channels", channels);
  if (bitDepth !== 8 && bitDepth !== 16) throw invalidParameter("8 or 16", "bitDepth", bitDepth, "UNSUPPORTED_BIT_DEPTH");
  checkInputSize(width, height, limits);
  const expected = width * height * channels * (bitDepth / 8);
  if (bytes.length < expected) {
    throw new PortraitError("INPUT_TRUNCATED", `Expected ${expected} bytes of pixels but received ${bytes.length}.`, {
      expectedBytes: expected,
      receivedBytes: bytes.length,
    });
  }
  if (bytes.length > expected) throw invalidParameter(`${expected} bytes of pixels`, "body", bytes.length);
  const image = bitDepth === 16 ? interleavedU16ToPlanar(readU16LittleEndian(bytes), width, height, channels) : interleavedU8ToPlanar(bytes, width, height, channels);
  return { image, bitDepth, channels, format: "raw", ...(header.colorProfile !== undefined ? { colorProfile: header.colorProfile } : {}) };
}

function readU16LittleEndian(bytes: Uint8Array): Uint16Array {
  if (endianness() === "LE") return u16View(bytes);
  const out = new Uint16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

/** Options for {@link encodeRawPixels}. */
export interface RawEncodeOptions {
  readonly channels: ChannelCount;
  readonly bitDepth: BitDepth;
  /** Ordered dithering for 8-bit output. Default false. */
  readonly dither?: boolean;
  readonly limits?: Partial<ImageLimits>;
}

/** Raw interleaved pixels (16-bit little-endian) in the layout of {@link RawHeader}. */
export function encodeRawPixels(image: RgbImage, options: RawEncodeOptions): Uint8Array {
  checkOutputSize(image.width, image.height, options.limits);
  const quantize = { dither: options.dither === true };
  if (options.bitDepth === 8) return planarToInterleavedU8(image, options.channels, quantize);
  return rawBytesOf(planarToInterleavedU16(image, options.channels, quantize));
}

/** Interleaved samples as raw bytes (16-bit little-endian, swapped in place on a big-endian host). */
function rawBytesOf(samples: InterleavedSamples): Uint8Array {
  if (samples instanceof Uint8Array) return samples;
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  if (endianness() === "BE") for (let i = 0; i < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1], bytes[i]];
  return bytes;
}

/** Options for {@link encodeImage}. */
export interface EncodeOptions {
  readonly format: EncodedFormat;
  /** Default 8. JPEG and WebP are always 8-bit. */
  readonly bitDepth?: BitDepth;
  /** Default RGBA when the image has alpha, else RGB. JPEG drops alpha; WebP stores grey as RGB. */
  readonly channels?: ChannelCount;
  /** Written into the file byte for byte; pixels are not converted. */
  readonly iccProfile?: Uint8Array;
  /** Pixels per inch. */
  readonly density?: number;
  /** Ordered dithering for 8-bit output (smooth gradients). Default false. */
  readonly dither?: boolean;
  /** JPEG/WebP quality 1..100. Default 95. */
  readonly quality?: number;
  readonly limits?: Partial<ImageLimits>;
}

/**
 * Encodes planar float pixels (clamped and rounded here) as PNG, JPEG, TIFF or WebP.
 * A 16-bit request goes straight from float to 16-bit samples with no 8-bit step.
 * @example
 * const png = await encodeImage(result, { format: "png", bitDepth: 16, channels: 4, iccProfile });
 */
export async function encodeImage(image: RgbImage, options: EncodeOptions): Promise<Uint8Array> {
  const layout = encodeLayout(options, image.alpha !== undefined);
  checkOutputSize(image.width, image.height, options.limits);
  const samples =
    layout.bitDepth === 16 ? planarToInterleavedU16(image, layout.channels, { dither: false }) : planarToInterleavedU8(image, layout.channels, { dither: layout.dither });
  return encodeSamples(samples, image.width, image.height, layout, options);
}

/** What an encode writes: channels, bit depth and dithering after the format's limits. */
export interface EncodeLayout {
  readonly channels: ChannelCount;
  readonly bitDepth: BitDepth;
  readonly dither: boolean;
}

/**
 * Checks `options` and resolves the samples the format will take (JPEG and WebP are 8-bit,
 * JPEG drops alpha). Dithering applies to 8-bit samples only.
 */
export function encodeLayout(options: EncodeOptions, hasAlpha: boolean): EncodeLayout {
  const { format } = options;
  if (!ENCODED_FORMATS.includes(format)) throw invalidParameter('"png", "jpeg", "tiff" or "webp"', "format", format);
  const bitDepthAsked = options.bitDepth ?? 8;
  if (bitDepthAsked !== 8 && bitDepthAsked !== 16) throw invalidParameter("8 or 16", "bitDepth", bitDepthAsked, "UNSUPPORTED_BIT_DEPTH");
  const channelsAsked = options.channels ?? (hasAlpha ? 4 : 3);
  if (![1, 2, 3, 4].includes(channelsAsked)) throw invalidParameter("1, 2, 3 or 4", "channels", channelsAsked);
  const quality = options.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw invalidParameter("an integer from 1 to 100", "quality", quality);
  const bitDepth: BitDepth = format === "jpeg" || format === "webp" ? 8 : bitDepthAsked;
  const channels: ChannelCount = format === "jpeg" ? (channelsAsked >= 3 ? 3 : 1) : channelsAsked;
  return { channels, bitDepth, dither: bitDepth === 8 && options.dither === true };
}

/**
 * Encodes interleaved samples laid out as `layout` (from {@link encodeLayout}): sharp reads
 * them in place, so a large result is not copied again before compression.
 */
export async function encodeSamples(samples: InterleavedSamples, width: number, height: number, layout: EncodeLayout, options: EncodeOptions): Promise<Uint8Array> {
  const { format } = options;
  const { bitDepth, channels } = layout;
  const quality = options.quality ?? 95;
  checkOutputSize(width, height, options.limits);
  const grey = channels <= 2;
  let pipeline = sharp(samples, { raw: { width, height, channels }, limitInputPixels: false }).toColourspace(
    grey ? (bitDepth === 16 ? "grey16" : "b-w") : bitDepth === 16 ? "rgb16" : "srgb",
  );
  // Not sharp's withMetadata({ density }): it would also convert the pixels to sRGB.
  const density = options.density;
  if (density !== undefined && !(Number.isFinite(density) && density > 0)) throw invalidParameter("a positive number", "density", density);
  switch (format) {
    case "png":
      pipeline = pipeline.png({ compressionLevel: 6 });
      break;
    case "jpeg":
      pipeline = pipeline.jpeg({ quality, chromaSubsampling: "4:4:4" });
      break;
    case "tiff":
      pipeline = pipeline.tiff({
        compression: "deflate",
        predictor: "horizontal",
        ...(density !== undefined ? { xres: density / 25.4, yres: density / 25.4, resolutionUnit: "inch" as const } : {}),
      });
      break;
    case "webp":
      pipeline = pipeline.webp({ quality, alphaQuality: 100 });
      break;
  }
  let encoded: Uint8Array = await pipeline.toBuffer();
  if (density !== undefined) encoded = embedDensity(encoded, format, density);
  if (options.iccProfile !== undefined && options.iccProfile.length > 0) {
    encoded = embedIccProfile(encoded, format, options.iccProfile, { width, height, hasAlpha: channels === 2 || channels === 4 });
  }
  return encoded;
}

/** Overrides of {@link encodeLike}: another format or depth than the source's. */
export interface EncodeLikeOverrides {
  readonly format?: ImageFormat;
  readonly bitDepth?: BitDepth;
  readonly dither?: boolean;
  readonly limits?: Partial<ImageLimits>;
}

/** How a result of `source` is written: raw samples, or an encoded format with its options; `layout` is the samples' either way. */
export type EncodePlan =
  | { readonly format: "raw"; readonly layout: EncodeLayout; readonly limits?: Partial<ImageLimits> }
  | { readonly format: EncodedFormat; readonly layout: EncodeLayout; readonly options: EncodeOptions };

/** The plan {@link encodeLike} follows for `source` (checks the options, so a bad one fails before any work). */
export function encodePlanLike(source: Omit<DecodedImage, "image">, overrides: EncodeLikeOverrides = {}): EncodePlan {
  const format = overrides.format ?? source.format;
  const bitDepth = overrides.bitDepth ?? source.bitDepth;
  const dither = overrides.dither ?? false;
  if (format === "raw") return { format, layout: { channels: source.channels, bitDepth, dither }, ...(overrides.limits ? { limits: overrides.limits } : {}) };
  const options: EncodeOptions = {
    format,
    bitDepth,
    channels: source.channels,
    dither,
    ...(source.iccProfile !== undefined ? { iccProfile: source.iccProfile } : {}),
    ...(source.density !== undefined ? { density: source.density } : {}),
    ...(overrides.limits !== undefined ? { limits: overrides.limits } : {}),
  };
  return { format, layout: encodeLayout(options, false), options };
}

/**
 * Encodes a result the way its source was: same format, bit depth and channel count,
 * same ICC profile and density (raw in → raw out). `overrides` choose another format or depth.
 */
export async function encodeLike(image: RgbImage, source: Omit<DecodedImage, "image">, overrides: EncodeLikeOverrides = {}): Promise<Uint8Array> {
  const plan = encodePlanLike(source, overrides);
  if (plan.format === "raw") return encodeRawPixels(image, { ...plan.layout, limits: plan.limits });
  return encodeImage(image, plan.options);
}

/** {@link encodeLike} for a result already in the plan's samples (a `sampleSink`'s): the same bytes, no float image. */
export async function encodeSamplesLike(samples: InterleavedSamples, width: number, height: number, plan: EncodePlan): Promise<Uint8Array> {
  if (plan.format === "raw") {
    checkOutputSize(width, height, plan.limits);
    return rawBytesOf(samples);
  }
  return encodeSamples(samples, width, height, plan.layout, plan.options);
}

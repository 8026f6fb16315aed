/**
 * What is checked of an encoded upload before it is accepted with 202: its first bytes name a
 * format we read (as the CLI's decoder does), its header gives a size, and its last bytes show
 * the file is whole. Foreign formats (GIF, AVIF, HEIF, SVG…) and cut-off files are refused at
 * submit instead of failing later in the queue. No pixel is decoded here.
 */
import sharp from "sharp";
import { PortraitError } from "@portrait-upscale/shared";
import { sniffFormat, type EncodedFormat } from "../image/codec";

/** Width and height of an encoded image; INPUT_EMPTY, INPUT_NOT_IMAGE or INPUT_TRUNCATED when it cannot be used. */
export async function encodedImageHeader(bytes: Buffer): Promise<{ width: number; height: number; format: EncodedFormat }> {
  if (bytes.length === 0) throw new PortraitError("INPUT_EMPTY");
  const format = sniffFormat(bytes);
  if (format === undefined) {
    throw new PortraitError("INPUT_NOT_IMAGE", "Expected a PNG, JPEG, TIFF or WebP file but received bytes of another format.", { bytes: bytes.length });
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
  } catch (error) {
    throw new PortraitError("INPUT_TRUNCATED", undefined, { reason: (error as Error).message, format });
  }
  if (!width || !height) throw new PortraitError("INPUT_TRUNCATED", undefined, { reason: "no image size in the header", format });
  if (!endsWhole(bytes, format)) throw new PortraitError("INPUT_TRUNCATED", `The ${format.toUpperCase()} file ends before its last section.`, { format });
  return { width, height, format };
}

const PNG_IEND = Buffer.from("0000000049454e44ae426082", "hex");
/** Bytes after a JPEG's end-of-image marker that cameras and editors are known to leave. */
const JPEG_TRAILER_ALLOWANCE = 64 * 1024;

/**
 * True when the file's end is where its format says it is. TIFF keeps its directory
 * anywhere, so a TIFF passes when its header could be read.
 */
function endsWhole(bytes: Buffer, format: EncodedFormat): boolean {
  switch (format) {
    case "png":
      return bytes.subarray(bytes.length - PNG_IEND.length).equals(PNG_IEND);
    case "jpeg": {
      const from = Math.max(2, bytes.length - JPEG_TRAILER_ALLOWANCE);
      return bytes.lastIndexOf(Buffer.from([0xff, 0xd9])) >= from;
    }
    case "webp":
      return bytes.length >= 12 && bytes.readUInt32LE(4) + 8 <= bytes.length;
    case "tiff":
      return true;
  }
}

/**
 * `GET …/result?format=` when the asked format differs from the stored one: raw pixels to a
 * PNG or TIFF file and back, keeping the channel count and bit depth (never 16 → 8 bits).
 */
import sharp from "sharp";
import { PortraitError } from "@portrait-upscale/shared";
import { crc32Hex } from "../jobs/engine";
import type { JobResult } from "../jobs/engine";
import type { ResultFormat } from "../jobs/types";

export interface ConvertedResult {
  readonly format: ResultFormat;
  readonly bytes: Buffer;
  readonly raw?: { width: number; height: number; channels: number; bitDepth: number; crc32: string };
}

/** Re-encodes a stored result as `format`. */
export async function convertResult(result: JobResult, format: ResultFormat): Promise<ConvertedResult> {
  const { width, height, channels, bitDepth } = result.summary;
  const bytes = Buffer.from(await result.read(0, result.size));
  const sixteen = bitDepth === 16;
  const colourspace = channels <= 2 ? (sixteen ? "grey16" : "b-w") : sixteen ? "rgb16" : "srgb";
  try {
    if (format === "raw") {
      let pipeline = sharp(bytes, { limitInputPixels: false }).toColourspace(colourspace);
      pipeline = channels === 2 || channels === 4 ? pipeline.ensureAlpha() : pipeline.removeAlpha();
      const data = await pipeline.raw({ depth: sixteen ? "ushort" : "uchar" }).toBuffer();
      return { format, bytes: data, raw: { width, height, channels, bitDepth, crc32: crc32Hex(data) } };
    }
    // sharp takes the raw sample depth from the typed array's type, so 16-bit goes in as Uint16Array.
    const samples = sixteen && result.raw ? new Uint16Array(copyAligned(bytes).buffer) : bytes;
    const rawLayout = { width, height, channels: channels as 1 | 2 | 3 | 4 };
    const source = sharp(samples, result.raw ? { limitInputPixels: false, raw: rawLayout } : { limitInputPixels: false }).toColourspace(
      colourspace,
    );
    const file = format === "png" ? await source.png().toBuffer() : await source.tiff({ compression: "lzw" }).toBuffer();
    return { format, bytes: file };
  } catch (error) {
    throw new PortraitError("INTERNAL", `The result could not be converted to ${format}: ${(error as Error).message}`, { format });
  }
}

/** A copy whose buffer starts at offset 0, as a Uint16Array view needs (Buffers may sit at odd offsets in a pool). */
function copyAligned(bytes: Buffer): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

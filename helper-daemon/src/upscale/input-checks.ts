/**
 * Checks the decoder cannot make for us: libspng refuses a PNG header with a zero dimension
 * as merely "corrupt", but an image with no pixels deserves its own code (INPUT_EMPTY).
 */
import { PortraitError } from "@portrait-upscale/shared";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Throws INPUT_EMPTY when `bytes` is a PNG whose header declares a zero width or height. */
export function rejectEmptyPngHeader(bytes: Uint8Array): void {
  // Signature (8), IHDR length (4) and type (4), then width and height (big-endian u32).
  if (bytes.length < 24 || !PNG_SIGNATURE.every((byte, index) => bytes[index] === byte)) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) throw new PortraitError("INPUT_EMPTY", undefined, { width, height });
}

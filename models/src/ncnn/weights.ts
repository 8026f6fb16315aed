/**
 * Sequential reader for NCNN's `.bin`: the weights of every layer in layer order, each
 * blob padded to 4 bytes. Weight blobs (convolution kernels) start with a 4-byte tag that
 * names their storage; biases and slopes are raw float32 without a tag.
 */
import { PortraitError } from "@portrait-upscale/shared";

/** Tags at the start of a tagged weight blob (little-endian uint32). */
export const NCNN_WEIGHT_TAG = {
  FLOAT16: 0x01306b47,
  INT8: 0x000d4b38,
  FLOAT32: 0x0002c056,
  /** Also float32: older converters wrote a zero tag. */
  FLOAT32_ZERO: 0,
} as const;

/** A weight as read: float16 bytes are kept as they are so the ONNX file can store them unchanged. */
export type NcnnWeight =
  | { readonly kind: "float16"; readonly bytes: Uint8Array }
  | { readonly kind: "float32"; readonly values: Float32Array };

export class NcnnWeightReader {
  private offset = 0;
  /** The last layer that read anything: the one to blame for trailing bytes. */
  private lastReader: string | undefined;

  constructor(private readonly bin: Uint8Array) {}

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  /** Reads a tagged weight blob of `count` values for `layer`. */
  readTagged(layer: string, count: number): NcnnWeight {
    const tagBytes = this.take(layer, 4, "the storage tag of its weights");
    const tag = new DataView(tagBytes.buffer, tagBytes.byteOffset, 4).getUint32(0, true);
    switch (tag) {
      case NCNN_WEIGHT_TAG.FLOAT16:
        return { kind: "float16", bytes: this.takeAligned(layer, count * 2, "its float16 weights").slice(0, count * 2) };
      case NCNN_WEIGHT_TAG.FLOAT32:
      case NCNN_WEIGHT_TAG.FLOAT32_ZERO:
        return { kind: "float32", values: this.readFloats(layer, count, "its float32 weights") };
      case NCNN_WEIGHT_TAG.INT8:
        throw new PortraitError(
          "MODEL_CONVERSION_FAILED",
          `NCNN layer ${layer} stores int8-quantised weights, which this converter does not support`,
          { format: "ncnn", layer, tag },
        );
      default: {
        // Any other tag: a 256-entry float32 lookup table followed by one uint8 index per value.
        const table = this.readFloats(layer, 256, "its weight lookup table");
        const indices = this.takeAligned(layer, count, "its weight indices");
        const values = new Float32Array(count);
        for (let index = 0; index < count; index++) values[index] = table[indices[index]];
        return { kind: "float32", values };
      }
    }
  }

  /** Reads `count` raw float32 values (biases, slopes). */
  readFloats(layer: string, count: number, what = "its float32 data"): Float32Array {
    const bytes = this.take(layer, count * 4, what);
    // Copy into fresh memory: the source offset need not be 4-aligned relative to its buffer.
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }

  /** Throws unless every byte of the file was consumed. */
  expectEnd(): void {
    if (this.offset !== this.bin.length) {
      throw new PortraitError(
        "MODEL_CONVERSION_FAILED",
        `NCNN .bin has ${this.bin.length - this.offset} bytes left after the last layer` +
          (this.lastReader ? ` (${this.lastReader}); the .param and .bin do not belong together` : ""),
        { format: "ncnn", layer: this.lastReader ?? null, consumed: this.offset, size: this.bin.length },
      );
    }
  }

  private takeAligned(layer: string, byteCount: number, what: string): Uint8Array {
    const padded = Math.ceil(byteCount / 4) * 4;
    return this.take(layer, padded, what).subarray(0, byteCount);
  }

  private take(layer: string, byteCount: number, what: string): Uint8Array {
    const end = this.offset + byteCount;
    if (end > this.bin.length) {
      throw new PortraitError(
        "MODEL_CONVERSION_FAILED",
        `NCNN .bin ends inside layer ${layer}: reading ${what} needs ${byteCount} bytes at offset ${this.offset}, ` +
          `but the file has ${this.bin.length} bytes; the .param and .bin do not belong together`,
        { format: "ncnn", layer, offset: this.offset, needed: byteCount, size: this.bin.length },
      );
    }
    const bytes = this.bin.subarray(this.offset, end);
    this.offset = end;
    this.lastReader = layer;
    return bytes;
  }
}

/**
 * The constants of a TF.js graph model: `weightsManifest` describes, group by group, the
 * tensors stored back to back in the concatenated shards, possibly quantised (float16, or
 * uint8/uint16 with a scale and minimum). Every value is widened here to float32 or int32.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { walkWeights, type WeightEntry } from "../tfjs/weights";

export interface GraphConstant {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: "float32" | "int32";
  readonly values: Float32Array | Int32Array;
}

/** Bytes per stored value by quantisation dtype (none: the dtype's own four bytes). */
const STORED_BYTES: Readonly<Record<string, number>> = { float16: 2, uint8: 1, uint16: 2 };

/**
 * Reads every constant the manifest lists, checking that the shards hold exactly that many bytes.
 * Throws MODEL_CONVERSION_FAILED naming the weight when a dtype or quantisation is not supported.
 */
export function readGraphConstants(weightsManifest: unknown, weightData: Uint8Array): Map<string, GraphConstant> {
  const constants = new Map<string, GraphConstant>();
  const view = new DataView(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  const storedAs = ({ dtype, quantization }: WeightEntry): string => (quantization === undefined || quantization === null ? String(dtype) : String((quantization as { dtype?: unknown }).dtype));
  walkWeights(weightsManifest, weightData, "tfjs-graph", {
    bytesPerValue: (entry) => {
      if (entry.dtype !== "float32" && entry.dtype !== "int32") throw unsupported(entry.name, `dtype ${String(entry.dtype)}`);
      const width = entry.quantization === undefined || entry.quantization === null ? 4 : STORED_BYTES[storedAs(entry)];
      if (width === undefined) throw unsupported(entry.name, `quantisation ${storedAs(entry)}`);
      return width;
    },
    read: (entry, offset, end) => {
      const stored = storedAs(entry);
      const width = (end - offset) / Math.max(1, entry.count);
      const quantised = entry.quantization as { scale?: unknown; min?: unknown } | undefined | null;
      const values = entry.dtype === "int32" ? new Int32Array(entry.count) : new Float32Array(entry.count);
      const scale = typeof quantised?.scale === "number" ? quantised.scale : 1;
      const min = typeof quantised?.min === "number" ? quantised.min : 0;
      for (let i = 0; i < entry.count; i++) {
        const at = offset + i * width;
        if (stored === "float32") values[i] = view.getFloat32(at, true);
        else if (stored === "int32") values[i] = view.getInt32(at, true);
        else if (stored === "float16") values[i] = halfToFloat(view.getUint16(at, true));
        else values[i] = (stored === "uint8" ? view.getUint8(at) : view.getUint16(at, true)) * scale + min;
      }
      constants.set(entry.name, { name: entry.name, shape: entry.shape, dtype: entry.dtype as GraphConstant["dtype"], values });
    },
  });
  return constants;
}

/** IEEE 754 half-precision bits → number (exact: every float16 is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function unsupported(weight: string, what: string): PortraitError {
  return new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weight ${weight} has ${what}; supported: float32 and int32, optionally quantised as float16, uint8 or uint16`, {
    format: "tfjs-graph",
    weight,
  });
}

/**
 * The constants of a TF.js graph model: `weightsManifest` describes, group by group, the
 * tensors stored back to back in the concatenated shards, possibly quantised (float16, or
 * uint8/uint16 with a scale and minimum). Every value is widened here to float32 or int32.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { malformed } from "../tfjs/weights";

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
  if (!Array.isArray(weightsManifest)) throw malformed("an array", "weightsManifest", weightsManifest);
  const constants = new Map<string, GraphConstant>();
  const view = new DataView(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  let offset = 0;
  weightsManifest.forEach((group: unknown, groupIndex) => {
    const weights = (group as { weights?: unknown } | null)?.weights;
    if (!Array.isArray(weights)) throw malformed("an array", `weightsManifest[${groupIndex}].weights`, weights);
    weights.forEach((entry: unknown, index) => {
      const where = `weightsManifest[${groupIndex}].weights[${index}]`;
      const { name, shape, dtype, quantization } = (entry ?? {}) as Record<string, unknown>;
      if (typeof name !== "string") throw malformed("a string", `${where}.name`, name);
      if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
        throw malformed("an array of sizes", `${where}.shape`, shape);
      }
      if (dtype !== "float32" && dtype !== "int32") throw unsupported(name, `dtype ${String(dtype)}`);
      if (constants.has(name)) throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weight ${name} is listed twice in the manifest`, { format: "tfjs-graph", weight: name });
      const quantised = (quantization ?? undefined) as { dtype?: unknown; scale?: unknown; min?: unknown } | undefined;
      const storedAs = quantised === undefined ? dtype : String(quantised.dtype);
      const width = quantised === undefined ? 4 : STORED_BYTES[storedAs];
      if (width === undefined) throw unsupported(name, `quantisation ${storedAs}`);
      const count = (shape as number[]).reduce((product, dim) => product * dim, 1);
      const end = offset + count * width;
      if (end > weightData.length) {
        throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weight data ends inside ${name}: the manifest needs ${end} bytes but the shards hold ${weightData.length}`, {
          format: "tfjs-graph",
          weight: name,
          needed: end,
          size: weightData.length,
        });
      }
      const values = dtype === "int32" ? new Int32Array(count) : new Float32Array(count);
      const scale = typeof quantised?.scale === "number" ? quantised.scale : 1;
      const min = typeof quantised?.min === "number" ? quantised.min : 0;
      for (let i = 0; i < count; i++) {
        const at = offset + i * width;
        if (storedAs === "float32") values[i] = view.getFloat32(at, true);
        else if (storedAs === "int32") values[i] = view.getInt32(at, true);
        else if (storedAs === "float16") values[i] = halfToFloat(view.getUint16(at, true));
        else values[i] = (storedAs === "uint8" ? view.getUint8(at) : view.getUint16(at, true)) * scale + min;
      }
      constants.set(name, { name, shape: shape as number[], dtype, values });
      offset = end;
    });
  });
  if (offset !== weightData.length) {
    throw new PortraitError(
      "MODEL_CONVERSION_FAILED",
      `TF.js weight data has ${weightData.length - offset} bytes beyond what the manifest describes; the shards and model.json do not belong together`,
      { format: "tfjs-graph", consumed: offset, size: weightData.length },
    );
  }
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

/**
 * The weights of a TF.js layers model: `weightsManifest` describes, group by group, the
 * tensors stored back to back in the concatenated shards. Looked up by name, because the
 * manifest order is not the layer order.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";

export interface TfjsWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** One entry of a `weightsManifest`, its name and shape checked, and how many values it holds. */
export interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: unknown;
  readonly quantization: unknown;
  readonly count: number;
}

/** What a format does with each entry: how wide its stored values are (throwing for what it does not support), and reading it. */
export interface WeightReader {
  bytesPerValue(entry: WeightEntry): number;
  read(entry: WeightEntry, offset: number, end: number): void;
}

/**
 * Walks a TF.js `weightsManifest` group by group over the concatenated shards, for the layers
 * and the graph converters alike. Throws MODEL_CONVERSION_FAILED for a malformed entry, a name
 * listed twice, shards that end inside a weight, or bytes beyond the last weight.
 */
export function walkWeights(weightsManifest: unknown, weightData: Uint8Array, format: string, reader: WeightReader): void {
  if (!Array.isArray(weightsManifest)) throw malformed("an array", "weightsManifest", weightsManifest);
  const seen = new Set<string>();
  let offset = 0;
  weightsManifest.forEach((group: unknown, groupIndex) => {
    const weights = (group as { weights?: unknown } | null)?.weights;
    if (!Array.isArray(weights)) throw malformed("an array", `weightsManifest[${groupIndex}].weights`, weights);
    weights.forEach((item: unknown, index) => {
      const where = `weightsManifest[${groupIndex}].weights[${index}]`;
      const { name, shape, dtype, quantization } = (item ?? {}) as Record<string, unknown>;
      if (typeof name !== "string") throw malformed("a string", `${where}.name`, name);
      if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) throw malformed("an array of sizes", `${where}.shape`, shape);
      if (seen.has(name)) throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weight ${name} is listed twice in the manifest`, { format, weight: name });
      seen.add(name);
      const entry: WeightEntry = { name, shape: shape as number[], dtype, quantization, count: (shape as number[]).reduce((product, dim) => product * dim, 1) };
      const end = offset + entry.count * reader.bytesPerValue(entry);
      if (end > weightData.length) {
        throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weight data ends inside ${name}: the manifest needs ${end} bytes but the shards hold ${weightData.length}`, {
          format,
          weight: name,
          needed: end,
          size: weightData.length,
        });
      }
      reader.read(entry, offset, end);
      offset = end;
    });
  });
  if (offset !== weightData.length) {
    throw new PortraitError(
      "MODEL_CONVERSION_FAILED",
      `TF.js weight data has ${weightData.length - offset} bytes beyond what the manifest describes; the shards and model.json do not belong together`,
      { format, consumed: offset, size: weightData.length },
    );
  }
}

/** Weights by name; {@link take} marks each as used so unused ones can be reported. */
export class TfjsWeightStore {
  private readonly byName = new Map<string, TfjsWeight>();
  private readonly used = new Set<string>();

  constructor(weightsManifest: unknown, weightData: Uint8Array) {
    walkWeights(weightsManifest, weightData, "tfjs", {
      bytesPerValue: ({ name, dtype, quantization }) => {
        if (dtype !== "float32" || quantization !== undefined) {
          throw new PortraitError("MODEL_CONVERSION_FAILED", `TF.js weight ${name} is ${String(dtype)}${quantization ? " (quantised)" : ""}; only plain float32 weights are supported`, {
            format: "tfjs",
            weight: name,
          });
        }
        return 4;
      },
      read: ({ name, shape, count }, offset, end) => {
        const values = new Float32Array(count);
        new Uint8Array(values.buffer).set(weightData.subarray(offset, end));
        this.byName.set(name, { name, shape, values });
      },
    });
  }

  /**
   * The weight `<layer>/<kind>` (a name may carry a scope prefix, `…/<layer>/<kind>`, as
   * nested Keras models write it). Throws when it is missing, ambiguous, or of another shape.
   */
  take(layer: string, kind: string, expectedShape: readonly number[]): TfjsWeight {
    const suffix = `/${layer}/${kind}`;
    const exact = this.byName.get(`${layer}/${kind}`);
    const candidates = exact ? [exact] : [...this.byName.values()].filter((weight) => weight.name.endsWith(suffix));
    if (candidates.length !== 1) {
      throw new PortraitError(
        "MODEL_CONVERSION_FAILED",
        candidates.length === 0
          ? `TF.js layer ${layer} has no weight ${kind} in the manifest`
          : `TF.js layer ${layer} matches several ${kind} weights: ${candidates.map((weight) => weight.name).join(", ")}`,
        { format: "tfjs", layer, weight: kind },
      );
    }
    const weight = candidates[0];
    if (weight.shape.length !== expectedShape.length || weight.shape.some((dim, index) => dim !== expectedShape[index])) {
      throw new PortraitError(
        "MODEL_CONVERSION_FAILED",
        `TF.js weight ${weight.name} has shape [${weight.shape.join(", ")}] but layer ${layer} needs [${expectedShape.join(", ")}]`,
        { format: "tfjs", layer, weight: weight.name },
      );
    }
    this.used.add(weight.name);
    return weight;
  }

  /** The names of weights no layer took, in manifest order. */
  unused(): string[] {
    return [...this.byName.keys()].filter((name) => !this.used.has(name));
  }
}

/** A structural problem in model.json, in the one bad-parameter message shape. */
export function malformed(expected: string, name: string, received: unknown): PortraitError {
  return invalidParameter(expected, name, received, "MODEL_CONVERSION_FAILED");
}

// Tiny generated TF.js graph models, one per op the converter knows, each run by TensorFlow.js
// itself (pure-JS CPU backend) and, converted, by onnxruntime-node on the same input.
import * as tfconv from "@tensorflow/tfjs-converter";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { convertTfjsGraphToOnnx } from "../../src/tfjs-graph/index";
import { halfToFloat } from "../../src/tfjs-graph/weights";
import { catchPortraitError, exactValues, float16Bits } from "./support";

const HEIGHT = 7;
const WIDTH = 6;
const CHANNELS = 4;

interface Constant {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: readonly number[] | Float32Array;
  readonly dtype?: "float32" | "int32";
}

interface GraphSpec {
  readonly nodes: Record<string, unknown>[];
  readonly constants: readonly Constant[];
  /** The node whose value is the model's one output `out`. */
  readonly output: string;
  readonly float16?: boolean;
}

const b64 = (text: string): string => Buffer.from(text).toString("base64");
const ints = (values: readonly number[]): unknown => ({ list: { i: values.map(String) } });
const spatialAttrs = (strides: number, padding: string): Record<string, unknown> => ({
  strides: ints([1, strides, strides, 1]),
  dilations: ints([1, 1, 1, 1]),
  padding: { s: b64(padding) },
  data_format: { s: b64("NHWC") },
  T: { type: "DT_FLOAT" },
});
const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}): Record<string, unknown> => ({ name, op, input, attr });
const fused = (ops: string[], args: number): Record<string, unknown> => ({ fused_ops: { list: { s: ops.map(b64) } }, num_args: { i: String(args) }, epsilon: { f: 0 } });

function modelJson(spec: GraphSpec): Record<string, unknown> {
  const placeholder = node("x", "Placeholder", [], {
    dtype: { type: "DT_FLOAT" },
    shape: { shape: { dim: [{ size: "-1" }, { size: String(HEIGHT) }, { size: String(WIDTH) }, { size: String(CHANNELS) }] } },
  });
  const constNodes = spec.constants.map((constant) => node(constant.name, "Const", [], { dtype: { type: constant.dtype === "int32" ? "DT_INT32" : "DT_FLOAT" } }));
  return {
    format: "graph-model",
    modelTopology: { node: [placeholder, ...constNodes, ...spec.nodes, node("Identity", "Identity", [spec.output])], library: {}, versions: {} },
    signature: {
      inputs: { x: { name: "x:0" } },
      outputs: { out: { name: "Identity:0" } },
    },
    weightsManifest: [
      {
        paths: ["weights.bin"],
        weights: spec.constants.map((constant) => ({
          name: constant.name,
          shape: constant.shape,
          dtype: constant.dtype ?? "float32",
          ...(spec.float16 && constant.dtype !== "int32" ? { quantization: { dtype: "float16", original_dtype: "float32" } } : {}),
        })),
      },
    ],
  };
}

function weightData(spec: GraphSpec): Uint8Array {
  const parts = spec.constants.map((constant) => {
    if (constant.dtype === "int32") return new Uint8Array(Int32Array.from(constant.values).buffer);
    if (spec.float16) return new Uint8Array(Uint16Array.from(constant.values, (value) => float16Bits(value)).buffer);
    return new Uint8Array(Float32Array.from(constant.values).buffer);
  });
  return Buffer.concat(parts);
}

async function runTfjs(json: Record<string, unknown>, data: Uint8Array, input: Float32Array): Promise<{ dims: number[]; data: Float32Array }> {
  await tf.setBackend("cpu");
  const model = await tfconv.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as object,
      weightSpecs: (json.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[])[0].weights,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    }),
  );
  const output = model.execute(tf.tensor4d(input, [1, HEIGHT, WIDTH, CHANNELS]), "Identity") as tf.Tensor;
  return { dims: output.shape, data: (await output.data()) as Float32Array };
}

/** Runs the converted model on the same NHWC input. */
async function runConverted(json: Record<string, unknown>, data: Uint8Array, input: Float32Array): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const onnx = convertTfjsGraphToOnnx({ modelJson: json, weightData: data, graphName: "test" });
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const result = await session.run({ input: new ort.Tensor("float32", input, [1, HEIGHT, WIDTH, CHANNELS]) });
    return { dims: result.out.dims, data: result.out.data as Float32Array };
  } finally {
    await session.release();
  }
}

const input = exactValues(HEIGHT * WIDTH * CHANNELS, 3, 64, 1);
const kernel = (h: number, w: number, i: number, o: number, seed: number): Constant => ({ name: `k${seed}`, shape: [h, w, i, o], values: exactValues(h * w * i * o, seed, 32, 0.5) });
const vector = (name: string, length: number, seed: number): Constant => ({ name, shape: [length], values: exactValues(length, seed, 16, 0.5) });

/** [case, graph]: each graph ends in the op named by the case. */
const CASES: readonly (readonly [string, GraphSpec])[] = [
  ["Conv2D, stride 2, SAME (odd pixel at the end)", { constants: [kernel(3, 3, 4, 5, 11)], nodes: [node("y", "Conv2D", ["x", "k11"], spatialAttrs(2, "SAME"))], output: "y" }],
  ["_FusedConv2D with BiasAdd and Prelu", {
    constants: [kernel(3, 3, 4, 6, 12), vector("b", 6, 13), { name: "alpha", shape: [1, 1, 6], values: exactValues(6, 14, 16, 0.5).map(Math.abs) }],
    nodes: [node("y", "_FusedConv2D", ["x", "k12", "b", "alpha"], { ...spatialAttrs(1, "SAME"), ...fused(["BiasAdd", "Prelu"], 2) })],
    output: "y",
  }],
  ["_FusedConv2D with BiasAdd and Relu6, VALID", {
    constants: [kernel(3, 2, 4, 3, 15), { name: "b", shape: [3], values: [4, -1, 6.5] }],
    nodes: [node("y", "_FusedConv2D", ["x", "k15", "b"], { ...spatialAttrs(1, "VALID"), ...fused(["BiasAdd", "Relu6"], 1) })],
    output: "y",
  }],
  ["_FusedConv2D with BiasAdd and Relu, weights stored as float16", {
    constants: [kernel(1, 1, 4, 2, 16), vector("b", 2, 17)],
    nodes: [node("y", "_FusedConv2D", ["x", "k16", "b"], { ...spatialAttrs(1, "SAME"), ...fused(["BiasAdd", "Relu"], 1) })],
    output: "y",
    float16: true,
  }],
  ["DepthwiseConv2dNative, channel multiplier 2, stride 2", { constants: [kernel(3, 3, 4, 2, 18)], nodes: [node("y", "DepthwiseConv2dNative", ["x", "k18"], spatialAttrs(2, "SAME"))], output: "y" }],
  ["AddV2 of two tensors and Mul by a per-channel constant", {
    constants: [kernel(1, 1, 4, 4, 19), { name: "m", shape: [1, 1, 1, 4], values: [0.5, -2, 1.5, 3] }],
    nodes: [node("c", "Conv2D", ["x", "k19"], spatialAttrs(1, "SAME")), node("a", "AddV2", ["x", "c"]), node("y", "Mul", ["a", "m"])],
    output: "y",
  }],
  ["BiasAdd then Prelu and Sigmoid as their own ops", {
    constants: [vector("b", 4, 20), { name: "alpha", shape: [1, 1, 4], values: [0.25, 0.5, 0.125, 0.75] }],
    nodes: [node("a", "BiasAdd", ["x", "b"]), node("p", "Prelu", ["a", "alpha"]), node("y", "Sigmoid", ["p"])],
    output: "y",
  }],
  ["MaxPool 2×2 VALID", { constants: [], nodes: [node("y", "MaxPool", ["x"], { ...spatialAttrs(2, "VALID"), ksize: ints([1, 2, 2, 1]) })], output: "y" }],
  ["AvgPool 3×3 SAME stride 2 (padding not counted)", { constants: [], nodes: [node("y", "AvgPool", ["x"], { ...spatialAttrs(2, "SAME"), ksize: ints([1, 3, 3, 1]) })], output: "y" }],
  ["Pad on channels and rows", {
    constants: [{ name: "p", shape: [4, 2], values: [0, 0, 1, 2, 0, 0, 0, 3], dtype: "int32" }],
    nodes: [node("y", "Pad", ["x", "p"])],
    output: "y",
  }],
  ["Reshape flattens in NHWC order", {
    constants: [{ name: "s", shape: [2], values: [-1, HEIGHT * WIDTH * CHANNELS], dtype: "int32" }],
    nodes: [node("y", "Reshape", ["x", "s"])],
    output: "y",
  }],
  ["ConcatV2 on the channel axis", {
    constants: [kernel(1, 1, 4, 2, 21), { name: "axis", shape: [], values: [3], dtype: "int32" }],
    nodes: [node("c", "Conv2D", ["x", "k21"], spatialAttrs(1, "SAME")), node("y", "ConcatV2", ["x", "c", "axis"])],
    output: "y",
  }],
  ["AddN of three tensors", {
    constants: [kernel(1, 1, 4, 4, 22), kernel(3, 3, 4, 4, 23)],
    nodes: [node("a", "Conv2D", ["x", "k22"], spatialAttrs(1, "SAME")), node("b", "Conv2D", ["x", "k23"], spatialAttrs(1, "SAME")), node("y", "AddN", ["x", "a", "b"], { N: { i: "3" } })],
    output: "y",
  }],
  ["Conv2DBackpropInput, stride 2, SAME, 3×3 (odd total padding)", {
    constants: [{ name: "size", shape: [4], values: [1, 2 * HEIGHT, 2 * WIDTH, 3], dtype: "int32" }, kernel(3, 3, 3, 4, 24)],
    nodes: [node("y", "Conv2DBackpropInput", ["size", "k24", "x"], spatialAttrs(2, "SAME"))],
    output: "y",
  }],
  ["Conv2DBackpropInput, stride 2, SAME, 2×2 to an odd size", {
    constants: [{ name: "size", shape: [4], values: [1, 2 * HEIGHT - 1, 2 * WIDTH, 2], dtype: "int32" }, kernel(2, 2, 2, 4, 25)],
    nodes: [node("y", "Conv2DBackpropInput", ["size", "k25", "x"], spatialAttrs(2, "SAME"))],
    output: "y",
  }],
  ["ResizeBilinear with half-pixel centres", {
    constants: [{ name: "size", shape: [2], values: [11, 9], dtype: "int32" }],
    nodes: [node("y", "ResizeBilinear", ["x", "size"], { align_corners: { b: false }, half_pixel_centers: { b: true } })],
    output: "y",
  }],
];

describe("tfjs-graph converter, op by op against TensorFlow.js", () => {
  it.each(CASES)("%s", async (_, spec) => {
    const json = modelJson(spec);
    const data = weightData(spec);
    const expected = await runTfjs(json, data, input);
    const actual = await runConverted(json, data, input);
    expect([...actual.dims]).toEqual(expected.dims);
    for (let i = 0; i < expected.data.length; i++) expect(actual.data[i], `value ${i}`).toBeCloseTo(expected.data[i], 5);
  });

  it("widens float16 weights exactly", () => {
    for (const value of [0, -0.5, 1 / 1024, 65504, -3.25, 2 ** -24]) expect(halfToFloat(float16Bits(value))).toBe(value);
  });

  it("names an op it does not know, with MODEL_CONVERSION_FAILED", () => {
    const spec: GraphSpec = { constants: [], nodes: [node("y", "Softplus", ["x"])], output: "y" };
    const error = catchPortraitError(() => convertTfjsGraphToOnnx({ modelJson: modelJson(spec), weightData: weightData(spec), graphName: "test" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toMatchObject({ node: "y", type: "Softplus" });
  });

  it("refuses weight data longer than the manifest describes", () => {
    const spec = CASES[0][1];
    const error = catchPortraitError(() => convertTfjsGraphToOnnx({ modelJson: modelJson(spec), weightData: Buffer.concat([weightData(spec), Buffer.alloc(4)]), graphName: "test" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.message).toContain("4 bytes beyond");
  });
});

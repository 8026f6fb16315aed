// The fp16 converter: exact half-precision rounding, and real converted models that keep
// float32 at their edges, load in onnxruntime and stay close to their fp32 originals.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { convertToFp16, findModel, float16Bits, float16Value, loadManifest, modelPath, sha256Hex } from "../../src/index";
import { onnxModelProto } from "../../src/onnx/onnx-proto";
import { expectClose } from "./support";

describe("float16Bits", () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [1e6, 0x7bff], // clamped to the largest half, not infinity
    [2 ** -24, 0x0001], // the smallest subnormal
    [2 ** -26, 0x0000], // below half the smallest subnormal
    [1 + 2 ** -11, 0x3c00], // a tie rounds to the even neighbour
    [1 + 3 * 2 ** -11, 0x3c02],
    [Infinity, 0x7c00],
  ])("%d → %i", (value, bits) => {
    expect(float16Bits(value)).toBe(bits);
  });

  it("round-trips every half and keeps NaN a NaN", () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent !== 0x1f && float16Bits(float16Value(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
  });
});

interface Decoded {
  graph: {
    node: { opType: string; input: string[]; output: string[]; attribute: { name: string; i?: unknown }[] }[];
    initializer: { name: string; dataType: number }[];
    input: { type: { tensorType: { elemType: number } } }[];
    output: { type: { tensorType: { elemType: number } } }[];
  };
  metadataProps: { key: string; value: string }[];
}

function decode(bytes: Uint8Array): Decoded {
  const proto = onnxModelProto();
  return proto.toObject(proto.decode(bytes), { arrays: true }) as Decoded;
}

function ramp(size: number): Float32Array {
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.37) + 1) / 2;
  return data;
}

async function runOnCpu(model: string | Uint8Array, input: Float32Array, size: number): Promise<ort.Tensor> {
  const session = typeof model === "string" ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", input, [1, 3, size, size]) });
    return result[session.outputNames[0]];
  } finally {
    await session.release();
  }
}

describe("convertToFp16 on the installed models", () => {
  // Tolerance: onnxruntime's CPU provider computes these fp16 graphs in float32 after its own
  // casts, so the difference is the weights' rounding alone; measured max 0.00/255 (x4fast,
  // whose weights were already fp16) and 0.23/255 (thick ×2). GPU providers add the
  // activations' rounding on top (docs/gpu.md).
  it.each([
    ["realesrgan-x4fast", 24],
    ["esrgan-thick-x2", 16],
  ])("%s: float32 at the edges, float16 inside, its pinned hash, and within 0.5/255 of fp32", async (id, size) => {
    const fp32 = readFileSync(modelPath(id));
    const fp16 = convertToFp16(fp32);
    expect(sha256Hex(fp16)).toBe(findModel(loadManifest(), id).variants?.[0].sha256);

    const { graph, metadataProps } = decode(fp16);
    expect(graph.input[0].type.tensorType.elemType).toBe(1);
    expect(graph.output[0].type.tensorType.elemType).toBe(1);
    const [first, last] = [graph.node[0], graph.node[graph.node.length - 1]];
    expect([first.opType, Number(first.attribute[0].i)]).toEqual(["Cast", 10]);
    expect([last.opType, Number(last.attribute[0].i), last.output]).toEqual(["Cast", 1, ["output"]]);
    const resizeScales = new Set(graph.node.filter((node) => node.opType === "Resize").map((node) => node.input[2]));
    const float32Weights = graph.initializer.filter((tensor) => tensor.dataType === 1).map((tensor) => tensor.name);
    expect(float32Weights.every((name) => resizeScales.has(name))).toBe(true);
    expect(graph.initializer.filter((tensor) => tensor.dataType === 10).length).toBeGreaterThan(10);
    expect(metadataProps).toContainEqual({ key: "precision", value: "fp16" });

    const input = ramp(size);
    const reference = await runOnCpu(modelPath(id), input.slice(), size);
    const half = await runOnCpu(fp16, input.slice(), size);
    expect(half.type).toBe("float32");
    expect(half.dims).toEqual(reference.dims);
    expectClose(half.data as Float32Array, reference.data as Float32Array, 0.5 / 255);
  });

  it("is deterministic", () => {
    const fp32 = readFileSync(modelPath("realesrgan-x4fast"));
    expect(sha256Hex(convertToFp16(fp32))).toBe(sha256Hex(convertToFp16(fp32)));
  });

  it("refuses a model with operators it does not know to be safe in fp16, naming them", () => {
    expect(() => convertToFp16(readFileSync(modelPath("blazeface-front-128")))).toThrow(
      expect.objectContaining({ code: "INTERNAL", data: { unsupported: ["Transpose", "ConstantOfShape", "MaxPool", "Reshape"] } }),
    );
  });
});

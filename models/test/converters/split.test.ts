// The split of x4plus into its trunk and its upsampling tail: the two stages run one after the
// other must give the whole model's output, and a cut that does not separate the graph is refused.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { modelPath } from "../../src/index";
import { STAGE_TENSOR, splitOnnxModel } from "../../src/split";
import { expectClose } from "./support";

const SIZE = 24;

function testImage(): Float32Array {
  const data = new Float32Array(3 * SIZE * SIZE);
  for (let i = 0; i < data.length; i++) data[i] = 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011);
  return data;
}

async function runOnce(bytes: Uint8Array, name: string, data: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
  try {
    const result = await session.run({ [name]: new ort.Tensor("float32", data, dims) });
    return result[session.outputNames[0]];
  } finally {
    await session.release();
  }
}

describe("splitOnnxModel", () => {
  const whole = readFileSync(modelPath("realesrgan-x4plus"));

  it("x4plus's trunk then tail equals the whole model", async () => {
    const { first, second } = splitOnnxModel(whole, "1878", 64);
    const input = testImage();
    const dims = [1, 3, SIZE, SIZE];
    const expected = await runOnce(whole, "input", input, dims);
    const features = await runOnce(first, "input", input, dims);
    expect(features.dims).toEqual([1, 64, SIZE, SIZE]);
    const output = await runOnce(second, STAGE_TENSOR, features.data as Float32Array, [...features.dims]);
    expect(output.dims).toEqual(expected.dims);
    expectClose(output.data as Float32Array, expected.data as Float32Array, 1 / 255);
  });

  it("is deterministic", () => {
    const one = splitOnnxModel(whole, "1878", 64);
    const two = splitOnnxModel(whole, "1878", 64);
    expect(Buffer.compare(one.first, two.first)).toBe(0);
    expect(Buffer.compare(one.second, two.second)).toBe(0);
  });

  it.each([
    ["a tensor nobody produces", "no-such-tensor"],
    ["a tensor inside a block, bypassed by a skip connection", "705"],
  ])("refuses %s", (_what, cut) => {
    try {
      splitOnnxModel(whole, cut, 64);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PortraitError);
      expect((error as PortraitError).code).toBe("MODEL_CONVERSION_FAILED");
    }
  });
});

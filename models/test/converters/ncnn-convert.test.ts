// Synthetic NCNN networks, built here, converted and run in onnxruntime-node against
// plain reference implementations of each layer.
import { describe, expect, it } from "vitest";
import { convertNcnnToOnnx } from "../../src/ncnn/index";
import { at, catchPortraitError, conv2d, exactValues, expectClose, mapPlanar, NcnnBinWriter, planar, runModel, type Planar } from "./support";

const SIZE = 8;
const input = planar(3, SIZE, SIZE, exactValues(3 * SIZE * SIZE, 1, 255, 1).map(Math.abs));

/** x4fast in miniature (×2): conv 3×3 + PReLU, pixel shuffle, plus the nearest-upscaled input. */
const compact = (() => {
  const weights = exactValues(12 * 3 * 9, 2, 64, 0.5);
  const bias = exactValues(12, 3, 64, 0.25);
  const slopes = exactValues(12, 4, 16, 0.5);
  const param = [
    "7767517",
    "7 8",
    "Input            input.1      0 1 data",
    "Split            splitncnn_0  1 2 data d0 d1",
    "Convolution      Conv_0       1 1 d0 c0 0=12 1=3 4=1 5=1 6=324",
    "PReLU            PRelu_1      1 1 c0 p0 0=12",
    "PixelShuffle     Shuffle_2    1 1 p0 s0 0=2",
    "Interp           Resize_3     1 1 d1 u0 0=1 1=2.000000e+00 2=2.000000e+00",
    "BinaryOp         Add_4        2 1 s0 u0 output",
  ].join("\n");
  const bin = new NcnnBinWriter().float16Weights(weights).floats(bias).floats(slopes).finish();

  const features = mapPlanar(conv2d(input, weights, bias, 12, [3, 3], [1, 1, 1, 1]), (value, c) => (value < 0 ? value * slopes[c] : value));
  const expected = planar(3, SIZE * 2, SIZE * 2);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < SIZE * 2; y++) {
      for (let x = 0; x < SIZE * 2; x++) {
        // PyTorch pixel_shuffle: channel c·4 + row·2 + column.
        const shuffled = at(features, c * 4 + (y % 2) * 2 + (x % 2), y >> 1, x >> 1);
        expected.data[(c * SIZE * 2 + y) * SIZE * 2 + x] = shuffled + at(input, c, y >> 1, x >> 1);
      }
    }
  }
  return { param, bin, expected };
})();

/** x4plus in miniature: dense concatenation, a 1×3 kernel with leaky ReLU, weighted residual sum, fused ReLU. */
const dense = (() => {
  const w0 = exactValues(4 * 3 * 9, 11, 64, 0.5);
  const b0 = exactValues(4, 12, 64, 0.25);
  const w1 = exactValues(2 * 4 * 3, 13, 64, 0.5);
  const b1 = exactValues(2, 14, 64, 0.25);
  const w2 = exactValues(4 * 6, 15, 64, 0.5);
  const w3 = exactValues(3 * 4 * 9, 16, 64, 0.5);
  const b3 = exactValues(3, 17, 64, 0.25);
  const param = [
    "7767517",
    "8 10",
    "Input            input.1      0 1 data",
    "Convolution      Conv_0       1 1 data a 0=4 1=3 4=1 5=1 6=108",
    "Split            splitncnn_0  1 3 a a0 a1 a2",
    "Convolution      Conv_1       1 1 a0 b 0=2 1=3 11=1 4=1 14=0 5=1 6=24 9=2 -23310=1,2.000000e-01",
    "Concat           Concat_2     2 1 a1 b c 0=0",
    "Convolution      Conv_3       1 1 c d 0=4 1=1 5=0 6=24",
    "Eltwise          Add_4        2 1 d a2 e 0=1 -23301=2,2.500000e-01,1.000000e+00",
    "Convolution      Conv_5       1 1 e result 0=3 1=3 4=1 5=1 6=108 9=1",
  ].join("\n");
  const bin = new NcnnBinWriter()
    .float32Weights(w0, 0)
    .floats(b0)
    .float32Weights(w1, 0x0002c056)
    .floats(b1)
    .float16Weights(w2)
    .float16Weights(w3)
    .floats(b3)
    .finish();

  const a = conv2d(input, w0, b0, 4, [3, 3], [1, 1, 1, 1]);
  const b = mapPlanar(conv2d(a, w1, b1, 2, [1, 3], [0, 1, 0, 1]), (value) => (value < 0 ? value * 0.2 : value));
  const c: Planar = { channels: 6, height: SIZE, width: SIZE, data: Float32Array.from([...a.data, ...b.data]) };
  const d = conv2d(c, w2, undefined, 4, [1, 1], [0, 0, 0, 0]);
  const e: Planar = { ...d, data: d.data.map((value, index) => 0.25 * value + a.data[index]) };
  const expected = mapPlanar(conv2d(e, w3, b3, 3, [3, 3], [1, 1, 1, 1]), (value) => Math.max(0, value));
  return { param, bin, expected };
})();

describe("convertNcnnToOnnx", () => {
  it("converts conv + PReLU + pixel shuffle + nearest resize + add and matches the reference", async () => {
    const onnx = convertNcnnToOnnx({ param: compact.param, bin: compact.bin, graphName: "compact" });
    const result = await runModel(onnx, input.data, SIZE, SIZE);
    expect(result.dims).toEqual([1, 3, SIZE * 2, SIZE * 2]);
    expectClose(result.data, compact.expected.data, 1e-5);
  });

  it("converts concat, a 1×3 kernel, leaky ReLU, a weighted Eltwise sum and fused ReLU", async () => {
    const onnx = convertNcnnToOnnx({ param: dense.param, bin: dense.bin, graphName: "dense" });
    const result = await runModel(onnx, input.data, SIZE, SIZE);
    expect(result.dims).toEqual([1, 3, SIZE, SIZE]);
    expectClose(result.data, dense.expected.data, 1e-5);
  });

  it("accepts any height and width", async () => {
    const onnx = convertNcnnToOnnx({ param: compact.param, bin: compact.bin, graphName: "compact" });
    const result = await runModel(onnx, new Float32Array(3 * 5 * 7).fill(0.5), 5, 7);
    expect(result.dims).toEqual([1, 3, 10, 14]);
  });

  it("gives byte-identical output for the same input", () => {
    const first = convertNcnnToOnnx({ param: dense.param, bin: dense.bin, graphName: "dense" });
    const second = convertNcnnToOnnx({ param: dense.param, bin: Uint8Array.from(dense.bin), graphName: "dense" });
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  });

  it("rejects a .bin one byte short, naming the layer it ends in", () => {
    const error = catchPortraitError(() => convertNcnnToOnnx({ param: compact.param, bin: compact.bin.subarray(0, -1), graphName: "compact" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toMatchObject({ format: "ncnn", layer: "PRelu_1", size: compact.bin.length - 1 });
  });

  it("rejects a .bin one byte long, naming the last layer read", () => {
    const longer = new Uint8Array(compact.bin.length + 1);
    longer.set(compact.bin);
    const error = catchPortraitError(() => convertNcnnToOnnx({ param: compact.param, bin: longer, graphName: "compact" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toMatchObject({ format: "ncnn", layer: "PRelu_1", consumed: compact.bin.length, size: compact.bin.length + 1 });
  });

  it("rejects an unknown layer type, naming the layer and its type", () => {
    const param = compact.param.replace("PixelShuffle     Shuffle_2    1 1 p0 s0 0=2", "Deconvolution    Deconv_2     1 1 p0 s0 0=3");
    const error = catchPortraitError(() => convertNcnnToOnnx({ param, bin: compact.bin, graphName: "compact" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toEqual({ format: "ncnn", layer: "Deconv_2", type: "Deconvolution", line: 7 });
    expect(error.message).toContain("unsupported NCNN layer type Deconvolution");
  });

  it("rejects weights whose count does not fit the input channels", () => {
    const param = compact.param.replace("0=12 1=3 4=1 5=1 6=324", "0=12 1=3 4=1 5=1 6=432");
    const error = catchPortraitError(() => convertNcnnToOnnx({ param, bin: compact.bin, graphName: "compact" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toMatchObject({ layer: "Conv_0" });
    expect(error.message).toContain("expect 4 input channels but the input blob has 3");
  });

  it("validates its arguments with the standard message", () => {
    const error = catchPortraitError(() => convertNcnnToOnnx({ param: compact.param, bin: [1, 2] as unknown as Uint8Array, graphName: "x" }));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toBe("Expected a Uint8Array for bin but received an array of length 2");
  });
});

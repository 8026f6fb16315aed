// Synthetic TF.js layers models, built here in Keras's own layout (NHWC, HWIO kernels),
// converted and run in onnxruntime-node against a channels-last reference.
import { describe, expect, it } from "vitest";
import { convertTfjsToOnnx } from "../../src/tfjs/index";
import { catchPortraitError, exactValues, expectClose, runModel } from "./support";

const SIZE = 6;

/** A channels-last image. */
interface Nhwc {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** Reference Keras Conv2D, stride 1, 'same' padding (odd pixel at the end), kernel HWIO. */
function conv2dSame(image: Nhwc, kernel: Float32Array, bias: Float32Array, [kernelH, kernelW]: [number, number], filters: number): Nhwc {
  const padTop = Math.floor((kernelH - 1) / 2);
  const padLeft = Math.floor((kernelW - 1) / 2);
  const out = new Float32Array(image.height * image.width * filters);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      for (let o = 0; o < filters; o++) {
        let sum = bias[o];
        for (let ky = 0; ky < kernelH; ky++) {
          for (let kx = 0; kx < kernelW; kx++) {
            const sy = y + ky - padTop;
            const sx = x + kx - padLeft;
            if (sy < 0 || sx < 0 || sy >= image.height || sx >= image.width) continue;
            for (let i = 0; i < image.channels; i++) {
              sum += kernel[((ky * kernelW + kx) * image.channels + i) * filters + o] * image.data[(sy * image.width + sx) * image.channels + i];
            }
          }
        }
        out[(y * image.width + x) * filters + o] = sum;
      }
    }
  }
  return { height: image.height, width: image.width, channels: filters, data: out };
}

function nhwcToNchw(image: Nhwc): Float32Array {
  const out = new Float32Array(image.data.length);
  const plane = image.height * image.width;
  for (let p = 0; p < plane; p++) for (let c = 0; c < image.channels; c++) out[c * plane + p] = image.data[p * image.channels + c];
  return out;
}

const inputNhwc: Nhwc = { height: SIZE, width: SIZE, channels: 3, data: exactValues(SIZE * SIZE * 3, 21, 255, 1).map(Math.abs) };
const inputNchw = nhwcToNchw(inputNhwc);

interface Weight {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

function layer(className: string, name: string, inbound: string[], config: Record<string, unknown> = {}): Record<string, unknown> {
  return { class_name: className, name, config: { name, trainable: true, dtype: "float32", ...config }, inbound_nodes: inbound.length === 0 ? [] : [inbound.map((source) => [source, 0, 0, {}])] };
}

function conv(name: string, inbound: string, filters: number, kernel: [number, number], activation = "linear"): Record<string, unknown> {
  return layer("Conv2D", name, [inbound], { filters, kernel_size: kernel, strides: [1, 1], padding: "same", data_format: "channels_last", dilation_rate: [1, 1], groups: 1, activation, use_bias: true });
}

/** A model.json with its weights split into two manifest groups, listed in `order`. */
function tfjsModel(layers: Record<string, unknown>[], output: string, weights: Weight[], order: number[]): { modelJson: unknown; weightData: Uint8Array } {
  const listed = order.map((index) => weights[index]);
  const half = Math.ceil(listed.length / 2);
  const groups = [listed.slice(0, half), listed.slice(half)];
  const modelJson = {
    format: "layers-model",
    generatedBy: "keras v2.10.0",
    convertedBy: "TensorFlow.js Converter v1.2.6",
    modelTopology: {
      keras_version: "2.10.0",
      backend: "tensorflow",
      model_config: { class_name: "Functional", config: { name: "generator", layers, input_layers: [["LR_input", 0, 0]], output_layers: [[output, 0, 0]] } },
    },
    weightsManifest: groups.map((group, index) => ({
      paths: [`group${index + 1}-shard1of1.bin`],
      weights: group.map(({ name, shape }) => ({ name, shape, dtype: "float32" })),
    })),
  };
  const bytes = listed.flatMap((weight) => [...new Uint8Array(weight.values.buffer, weight.values.byteOffset, weight.values.byteLength)]);
  return { modelJson, weightData: Uint8Array.from(bytes) };
}

const INPUT_LAYER = layer("InputLayer", "LR_input", [], { batch_input_shape: [null, null, null, 3] });

/** Two convolutions (a 3×2 kernel with ReLU, then 3×3) and a ×2 pixel shuffle. */
const shuffleNet = (() => {
  const weights: Weight[] = [
    { name: "conv_a/kernel", shape: [3, 2, 3, 4], values: exactValues(3 * 2 * 3 * 4, 22, 64, 0.5) },
    { name: "conv_a/bias", shape: [4], values: exactValues(4, 23, 64, 0.25) },
    { name: "conv_b/kernel", shape: [3, 3, 4, 12], values: exactValues(3 * 3 * 4 * 12, 24, 64, 0.5) },
    { name: "conv_b/bias", shape: [12], values: exactValues(12, 25, 64, 0.25) },
  ];
  const layers = [INPUT_LAYER, conv("conv_a", "LR_input", 4, [3, 2], "relu"), conv("conv_b", "conv_a", 12, [3, 3]), layer("PixelShuffle2x", "pixel_shuffle", ["conv_b"], { scale: 2 })];

  const a = conv2dSame(inputNhwc, weights[0].values, weights[1].values, [3, 2], 4);
  const relu: Nhwc = { ...a, data: a.data.map((value) => Math.max(0, value)) };
  const b = conv2dSame(relu, weights[2].values, weights[3].values, [3, 3], 12);
  // tf.depthToSpace, NHWC: output channel c of sub-pixel (dy, dx) is input channel (dy·2 + dx)·3 + c.
  const shuffled = new Float32Array(SIZE * 2 * SIZE * 2 * 3);
  for (let y = 0; y < SIZE * 2; y++) {
    for (let x = 0; x < SIZE * 2; x++) {
      for (let c = 0; c < 3; c++) {
        shuffled[(y * SIZE * 2 + x) * 3 + c] = b.data[((y >> 1) * SIZE + (x >> 1)) * 12 + ((y % 2) * 2 + (x % 2)) * 3 + c];
      }
    }
  }
  const expected = nhwcToNchw({ height: SIZE * 2, width: SIZE * 2, channels: 3, data: shuffled });
  return { layers, weights, expected };
})();

/** An ESRGAN residual block in miniature: Activation, Concatenate, MultiplyBeta, Add. */
const residualNet = (() => {
  const shapes: [string, number[]][] = [
    ["pre/kernel", [3, 3, 3, 4]],
    ["pre/bias", [4]],
    ["f1/kernel", [3, 3, 4, 4]],
    ["f1/bias", [4]],
    ["lff/kernel", [1, 1, 8, 4]],
    ["lff/bias", [4]],
    ["SR/kernel", [3, 3, 4, 3]],
    ["SR/bias", [3]],
  ];
  const weights: Weight[] = shapes.map(([name, shape], index) => ({
    name,
    shape,
    values: exactValues(shape.reduce((product, dim) => product * dim, 1), 30 + index, 64, name.endsWith("bias") ? 0.25 : 0.5),
  }));
  const layers = [
    INPUT_LAYER,
    conv("pre", "LR_input", 4, [3, 3]),
    conv("f1", "pre", 4, [3, 3]),
    layer("Activation", "f1_relu", ["f1"], { activation: "relu" }),
    layer("Concatenate", "concat", ["pre", "f1_relu"], { axis: 3 }),
    conv("lff", "concat", 4, [1, 1]),
    layer("MultiplyBeta", "multiply_beta", ["lff"], { beta: 0.5 }),
    layer("Add", "residual", ["pre", "multiply_beta"]),
    conv("SR", "residual", 3, [3, 3]),
  ];
  const value = (name: string): Float32Array => weights.find((weight) => weight.name === name)!.values;
  const pre = conv2dSame(inputNhwc, value("pre/kernel"), value("pre/bias"), [3, 3], 4);
  const f1 = conv2dSame(pre, value("f1/kernel"), value("f1/bias"), [3, 3], 4);
  const concat = new Float32Array(SIZE * SIZE * 8);
  for (let p = 0; p < SIZE * SIZE; p++) {
    for (let c = 0; c < 4; c++) {
      concat[p * 8 + c] = pre.data[p * 4 + c];
      concat[p * 8 + 4 + c] = Math.max(0, f1.data[p * 4 + c]);
    }
  }
  const lff = conv2dSame({ height: SIZE, width: SIZE, channels: 8, data: concat }, value("lff/kernel"), value("lff/bias"), [1, 1], 4);
  const residual: Nhwc = { ...pre, data: pre.data.map((v, index) => v + 0.5 * lff.data[index]) };
  const expected = nhwcToNchw(conv2dSame(residual, value("SR/kernel"), value("SR/bias"), [3, 3], 3));
  return { layers, weights, expected };
})();

describe("convertTfjsToOnnx", () => {
  it("matches weights by name whatever the manifest order, and turns HWIO kernels and depth-to-space into NCHW", async () => {
    const { modelJson, weightData } = tfjsModel(shuffleNet.layers, "pixel_shuffle", shuffleNet.weights, [3, 0, 2, 1]);
    const onnx = convertTfjsToOnnx({ modelJson, weightData, graphName: "shuffle" });
    const result = await runModel(onnx, inputNchw, SIZE, SIZE);
    expect(result.dims).toEqual([1, 3, SIZE * 2, SIZE * 2]);
    expectClose(result.data, shuffleNet.expected, 1e-5);
  });

  it("converts Activation, Concatenate, MultiplyBeta (its configured beta) and Add", async () => {
    const { modelJson, weightData } = tfjsModel(residualNet.layers, "SR", residualNet.weights, [7, 2, 5, 0, 3, 6, 1, 4]);
    const onnx = convertTfjsToOnnx({ modelJson, weightData, graphName: "residual" });
    const result = await runModel(onnx, inputNchw, SIZE, SIZE);
    expect(result.dims).toEqual([1, 3, SIZE, SIZE]);
    expectClose(result.data, residualNet.expected, 1e-5);
  });

  it("gives byte-identical output for the same input", () => {
    const { modelJson, weightData } = tfjsModel(residualNet.layers, "SR", residualNet.weights, [0, 1, 2, 3, 4, 5, 6, 7]);
    const first = convertTfjsToOnnx({ modelJson, weightData, graphName: "residual" });
    const second = convertTfjsToOnnx({ modelJson: JSON.parse(JSON.stringify(modelJson)), weightData: Uint8Array.from(weightData), graphName: "residual" });
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  });

  it("rejects weight data one byte short or one byte long", () => {
    const { modelJson, weightData } = tfjsModel(shuffleNet.layers, "pixel_shuffle", shuffleNet.weights, [0, 1, 2, 3]);
    const short = catchPortraitError(() => convertTfjsToOnnx({ modelJson, weightData: weightData.subarray(0, -1), graphName: "x" }));
    expect(short.code).toBe("MODEL_CONVERSION_FAILED");
    expect(short.data).toMatchObject({ format: "tfjs", weight: "conv_b/bias" });
    const longer = new Uint8Array(weightData.length + 1);
    longer.set(weightData);
    const long = catchPortraitError(() => convertTfjsToOnnx({ modelJson, weightData: longer, graphName: "x" }));
    expect(long.code).toBe("MODEL_CONVERSION_FAILED");
    expect(long.data).toEqual({ format: "tfjs", consumed: weightData.length, size: weightData.length + 1 });
  });

  it("rejects a missing weight and a weight of the wrong shape, naming the layer", () => {
    const missing = tfjsModel(shuffleNet.layers, "pixel_shuffle", shuffleNet.weights.slice(0, 3), [0, 1, 2]);
    const error = catchPortraitError(() => convertTfjsToOnnx({ ...missing, graphName: "x" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toEqual({ format: "tfjs", layer: "conv_b", weight: "bias" });

    const wrongShape = shuffleNet.weights.map((weight) => (weight.name === "conv_a/kernel" ? { ...weight, shape: [2, 3, 3, 4] } : weight));
    const shaped = tfjsModel(shuffleNet.layers, "pixel_shuffle", wrongShape, [0, 1, 2, 3]);
    const shapeError = catchPortraitError(() => convertTfjsToOnnx({ ...shaped, graphName: "x" }));
    expect(shapeError.data).toEqual({ format: "tfjs", layer: "conv_a", weight: "conv_a/kernel" });
  });

  it("rejects weights that no layer uses", () => {
    const extra = [...shuffleNet.weights, { name: "ghost/bias", shape: [1], values: Float32Array.of(1) }];
    const model = tfjsModel(shuffleNet.layers, "pixel_shuffle", extra, [0, 1, 2, 3, 4]);
    const error = catchPortraitError(() => convertTfjsToOnnx({ ...model, graphName: "x" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toEqual({ format: "tfjs", weights: ["ghost/bias"] });
  });

  it("rejects an unknown layer class, naming the layer and its class", () => {
    const layers = [...shuffleNet.layers.slice(0, 3), layer("UpSampling2D", "upsample", ["conv_b"], { size: [2, 2] })];
    const model = tfjsModel(layers, "upsample", shuffleNet.weights, [0, 1, 2, 3]);
    const error = catchPortraitError(() => convertTfjsToOnnx({ ...model, graphName: "x" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.data).toEqual({ format: "tfjs", layer: "upsample", type: "UpSampling2D" });
  });

  it("reports a malformed model.json in the standard message shape", () => {
    const error = catchPortraitError(() => convertTfjsToOnnx({ modelJson: { modelTopology: { model_config: { class_name: "Sequential" } } }, weightData: new Uint8Array(0), graphName: "x" }));
    expect(error.code).toBe("MODEL_CONVERSION_FAILED");
    expect(error.message).toBe('Expected a "Functional" Keras model for modelTopology.model_config.class_name but received "Sequential" of type string');
  });
});

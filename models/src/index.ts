// Public API of the models package: the manifest, where model files live, and
// their verification and installation. Importing this module has no side effects.
import { PortraitError } from "@portrait-upscale/shared";
import { join } from "node:path";
import { modelResolver, type ModelFacts, type ModelResolver } from "./facts";
import { findModel, loadManifest } from "./manifest";
import { modelDir } from "./paths";
import { findStage } from "./split-install";
import { ensureVariant, variantFor } from "./variants";
import { verifyManifestModels, verifyModel, type ModelStatus } from "./verify";

export {
  CONVERTERS,
  MODEL_TASKS,
  TENSOR_LAYOUTS,
  findModel,
  loadManifest,
  validateManifest,
  type ConverterKind,
  type Dimension,
  type ModelEntry,
  type ModelManifest,
  type ModelSource,
  type ModelTask,
  type OnnxOutput,
  type SourceFile,
  type TensorLayout,
} from "./manifest";
export { MODEL_DIR_ENV, modelDir, repositoryPath, repositoryRoot } from "./paths";
export { openPendingFile, type PendingFile } from "./pending-file";
export {
  TensorDataType,
  attr,
  encodeOnnxModel,
  float32Bytes,
  int64Bytes,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from "./onnx/model";
export {
  FACT_PROVIDERS,
  MODEL_ROLES,
  modelResolver,
  providerMeasurementSchema,
  validateFacts,
  withMeasurements,
  type CostFacts,
  type FactProvider,
  type MemoryFacts,
  type ModelFacts,
  type ModelResolver,
  type ModelRole,
  type ProviderMeasurement,
  type ResolvedModel,
  type ResolvedStage,
  type SplitFacts,
  type StageFacts,
} from "./facts";
export { STAGE_TENSOR, splitOnnxModel, type SplitModel } from "./split";
export { findStage, installStages, type StageInstallResult } from "./split-install";
export { runInstallCli } from "./install-cli";
export {
  installModels,
  type ConvertFn,
  type InstallAction,
  type InstallOptions,
  type InstallReport,
  type ModelInstallResult,
} from "./install";
export { calibrationModel, calibrationTensors, quantizeQdq, type Range } from "./quantize";
export { convertToFp16, float16Bits, float16Value } from "./fp16";
export { PRECISIONS, ensureVariant, validateVariants, variantFor, type ModelVariant, type Precision } from "./variants";
export { sha256File, sha256Hex, type ModelState, type ModelStatus } from "./verify";

/**
 * Absolute path of a model's ONNX file (it may not exist yet; see {@link verifyModels}).
 * Throws PortraitError MODEL_UNKNOWN listing the valid ids.
 * @example modelPath("realesrgan-x4fast") // ".../models/cache/realesrgan-x4fast.onnx"
 */
export function modelPath(id: string): string {
  const brought = broughtModels.find((model) => model.id === id);
  if (brought) return brought.path;
  const manifest = loadManifest();
  const stage = findStage(manifest, id);
  if (stage !== undefined) return join(modelDir(), stage.stage.file);
  return join(modelDir(), findModel(manifest, id).onnx.file);
}

/**
 * A model a user or a studio brought (`portrait-upscale models add`): its id (`user:NAME`),
 * its file, and facts in the manifest's terms, so the resolver treats it like a shipped model.
 */
export interface BroughtModelSource {
  readonly id: string;
  readonly path: string;
  readonly nativeScale: number;
  readonly facts: ModelFacts;
}

let broughtModels: readonly BroughtModelSource[] = [];

/**
 * Makes `models` known to {@link modelFacts} and {@link modelPath} (replacing the ones known
 * before): the user-model registry calls it whenever it reads its folders.
 */
export function useBroughtModels(models: readonly BroughtModelSource[]): void {
  broughtModels = [...models];
  resolver = undefined;
}

/**
 * The state of every manifest model in {@link modelDir}: present, missing or corrupt.
 * Fast by default (trusts a file whose size and modification time match its last
 * successful hash); `deep` rehashes everything.
 */
export async function verifyModels(options: { deep?: boolean } = {}): Promise<ModelStatus[]> {
  return verifyManifestModels(loadManifest(), modelDir(), options);
}

/**
 * The path of a model that is present and verified, for code about to load it.
 * Throws MODEL_UNKNOWN, MODEL_MISSING or MODEL_CORRUPT (data: id, path, reason).
 * Cheap after the first call: an unchanged file is trusted by its stamp.
 * @example const path = await readyModelPath("blazeface-back-256");
 */
export async function readyModelPath(id: string): Promise<string> {
  const model = findModel(loadManifest(), id);
  const status = await verifyModel(model, modelDir());
  if (status.state === "missing") {
    throw new PortraitError("MODEL_MISSING", `The model ${id} is not installed (${status.path}); run \`npm run models\` or \`portrait-upscale models verify --repair\`.`, {
      id,
      path: status.path,
    });
  }
  if (status.state === "corrupt") {
    throw new PortraitError("MODEL_CORRUPT", `The model file ${status.path} is damaged (${status.reason}); run \`portrait-upscale models verify --repair\`.`, {
      id,
      path: status.path,
      reason: status.reason,
    });
  }
  return status.path;
}

let resolver: ModelResolver | undefined;

/**
 * The one resolver of model facts (role, native scale, context, memory, cost) over
 * `models/manifest.json`.
 * @example modelFacts().forChoice("x4plus", 4).memory("cpu").bytesPerTilePixel
 */
export function modelFacts(): ModelResolver {
  resolver ??= modelResolver([...loadManifest().models, ...broughtModels]);
  return resolver;
}

/**
 * The file `provider` runs for model `id`: the variant the manifest gives it (made on first
 * use, see variants.ts), else undefined for the fp32 file of {@link modelPath}.
 * @example await variantPath("realesrgan-x4plus", "cuda") // ".../realesrgan-x4plus.fp16.onnx"
 */
export async function variantPath(id: string, provider: string): Promise<string | undefined> {
  const model = findModel(loadManifest(), id);
  const variant = variantFor(model, provider);
  return variant === undefined ? undefined : ensureVariant(model, variant, modelDir());
}

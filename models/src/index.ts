// Public API of the models package: the manifest, where model files live, and
// their verification and installation. Importing this module has no side effects.
import { join } from "node:path";
import { findModel, loadManifest } from "./manifest";
import { modelDir } from "./paths";
import { verifyManifestModels, type ModelStatus } from "./verify";

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
export { MODEL_DIR_ENV, modelDir, repositoryRoot } from "./paths";
export { sha256File, sha256Hex, type ModelState, type ModelStatus } from "./verify";

/**
 * Absolute path of a model's ONNX file (it may not exist yet; see {@link verifyModels}).
 * Throws PortraitError MODEL_UNKNOWN listing the valid ids.
 * @example modelPath("realesrgan-x4fast") // ".../models/cache/realesrgan-x4fast.onnx"
 */
export function modelPath(id: string): string {
  return join(modelDir(), findModel(loadManifest(), id).onnx.file);
}

/**
 * The state of every manifest model in {@link modelDir}: present, missing or corrupt.
 * Fast by default (trusts a file whose size and modification time match its last
 * successful hash); `deep` rehashes everything.
 */
export async function verifyModels(options: { deep?: boolean } = {}): Promise<ModelStatus[]> {
  return verifyManifestModels(loadManifest(), modelDir(), options);
}

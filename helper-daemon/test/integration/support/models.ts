/** Which converted models are installed, so tests of a missing one are skipped, not failed. */
import { existsSync } from "node:fs";
import { modelPath } from "@portrait-upscale/models";

/** True when the model's ONNX file is in models/cache/. */
export function hasModel(id: string): boolean {
  return existsSync(modelPath(id));
}

/**
 * Writes the stages of split models (models/src/split.ts) next to the whole model at install,
 * each checked against the sha256 the manifest pins, under a temporary name until it matches.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { StageFacts } from "./facts";
import type { ModelEntry, ModelManifest } from "./manifest";
import { writeModelFile } from "./model-file";
import { splitOnnxModel } from "./split";
import { sha256File, sha256Hex } from "./verify";

/** The stage with this id and the model it belongs to, or undefined. */
export function findStage(manifest: ModelManifest, id: string): { readonly model: ModelEntry; readonly stage: StageFacts } | undefined {
  for (const model of manifest.models) {
    const stage = model.facts?.split?.stages.find((candidate) => candidate.id === id);
    if (stage !== undefined) return { model, stage };
  }
  return undefined;
}

/** What {@link installStages} did for one stage file. */
export interface StageInstallResult {
  readonly id: string;
  readonly action: "skipped" | "installed";
  readonly seconds: number;
}

/**
 * Makes the stage files of `model` (when it is split) present in `dir`, from its verified
 * whole `.onnx`. A present file of the pinned size and hash is kept. Throws MODEL_CONVERSION_FAILED
 * when a produced stage does not match the manifest.
 */
export async function installStages(model: ModelEntry, dir: string): Promise<StageInstallResult[]> {
  const split = model.facts?.split;
  if (split === undefined) return [];
  const results: StageInstallResult[] = [];
  let produced: Uint8Array[] | undefined;
  for (const [index, stage] of split.stages.entries()) {
    const started = performance.now();
    const path = join(dir, stage.file);
    if (existsSync(path) && (await stat(path)).size === stage.bytes && (await sha256File(path)) === stage.sha256) {
      results.push({ id: stage.id, action: "skipped", seconds: (performance.now() - started) / 1000 });
      continue;
    }
    if (split.stages.length !== 2) throw new PortraitError("INTERNAL", `The split of ${model.id} names ${split.stages.length} stages; one cut gives two.`);
    if (produced === undefined) {
      const halves = splitOnnxModel(await readFile(join(dir, model.onnx.file)), split.cut, split.stages[0].outputChannels);
      produced = [halves.first, halves.second];
    }
    const bytes = produced[index];
    const actual = sha256Hex(bytes);
    if (actual !== stage.sha256 || bytes.length !== stage.bytes) {
      throw new PortraitError(
        "MODEL_CONVERSION_FAILED",
        `The ${stage.id} stage cut from ${model.onnx.file} does not match the manifest (expected sha256 ${stage.sha256}, ${stage.bytes} bytes; got ${actual}, ${bytes.length} bytes).`,
        { id: stage.id, expectedSha256: stage.sha256, actualSha256: actual, bytes: bytes.length },
      );
    }
    await writeModelFile(dir, stage.file, bytes);
    results.push({ id: stage.id, action: "installed", seconds: (performance.now() - started) / 1000 });
  }
  return results;
}

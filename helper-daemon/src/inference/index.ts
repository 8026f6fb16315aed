/**
 * The inference API: the only module of the product that talks to onnxruntime-node
 * (through its worker threads). Everything else calls {@link createInferencePool}.
 */
import { modelFacts, modelPath, variantPath } from "@portrait-upscale/models";
import { existsSync } from "node:fs";
import type { SplitRunner, TilePixels, TileRunner } from "../tiling/tiled-upscale";
import { InferencePool, type InferencePoolOptions, type InferenceResult } from "./pool";
import { PortraitError } from "@portrait-upscale/shared";

export { InferencePool, LOW_FREE_MEMORY_BYTES, findWorkerScript, type InferencePoolOptions, type InferenceResult, type InferenceStats, type RunOptions } from "./pool";
export {
  PROVIDER_NAMES,
  PROVIDER_REQUESTS,
  autoProvider,
  availableProviders,
  decideAfterFailure,
  isOutOfMemoryMessage,
  parseProviderRequest,
  selectProvider,
  type PlatformFacts,
  type ProviderName,
  type ProviderRequest,
} from "./providers";
export { currentPlatformFacts, onnxruntimeVersion } from "./platform-facts";
export { physicalCoreCount } from "./cores";
export { checkDevice, ensureDevice, listGpuDevices, type GpuDevice } from "./devices";
export type { Feeds, TensorData } from "./session-host";
export type { TileRunner };

/**
 * A pool whose model ids are the manifest's (files in models/cache/); GPU providers run the
 * variant the manifest gives them (fp16), made on first use.
 * @example const pool = createInferencePool({ provider: "auto" }); await pool.run("blazeface-front-128", [input]);
 */
export function createInferencePool(options: Partial<InferencePoolOptions> = {}): InferencePool {
  return new InferencePool({ resolveModelPath: modelPath, resolveVariantPath: variantPath, ...options });
}

/**
 * A {@link TileRunner} (the tiled driver's contract) for a single-input, single-output image
 * model (NCHW RGB 0..1). The tile's buffer is transferred to the worker, which the driver
 * allows. `onResult` sees every run (provider, notice, timing); a split model's stages run on
 * `stageTiles` when the job planned them (tiling/job-tiles.ts).
 * @example const runTile = tileRunner(pool, "realesrgan-x4fast", (r) => providers.add(r.provider));
 */
export function tileRunner(pool: InferencePool, modelId: string, onResult?: (result: InferenceResult) => void, stageTiles?: readonly number[]): TileRunner {
  const run = async (tile: TilePixels, signal?: AbortSignal): Promise<TilePixels> => {
    const input = { data: tile.data, dims: [1, 3, tile.height, tile.width] };
    const result = await pool.run(modelId, [input], { signal });
    onResult?.(result);
    const output = result.outputs[result.outputNames[0]];
    if (output.dims.length !== 4 || output.dims[1] !== 3) {
      throw new PortraitError("INFERENCE_FAILED", `The model "${modelId}" returned a tensor of shape [${output.dims.join(", ")}], not an RGB image.`, {
        modelId,
      });
    }
    return { data: output.data, width: output.dims[3], height: output.dims[2] };
  };
  // The driver adds this much real context around every tile (the manifest's measurement); a
  // model outside the manifest (brought by a user, or a test's tiny one) gets the driver's default.
  const known = isManifestModel(modelId);
  if (!known) return run;
  const split = splitRunner(pool, modelId, onResult);
  const planned = split && stageTiles?.length === split.stages.length ? { ...split, tiles: stageTiles } : split;
  return Object.assign(run, { context: modelFacts().byId(modelId).context, ...(planned ? { split: planned } : {}) });
}

/**
 * The stages of a split model (manifest `facts.split`) as the driver runs them, sized by the
 * pool provider's facts; undefined when the model is not split or its stage files are absent.
 */
export function splitRunner(pool: InferencePool, modelId: string, onResult?: (result: InferenceResult) => void): SplitRunner | undefined {
  const model = modelFacts().byId(modelId);
  if (model.stages === undefined || !model.stages.every((stage) => existsSync(modelPath(stage.id)))) return undefined;
  return {
    memory: model.memory(pool.provider),
    stages: model.stages.map((stage) => ({
      runTile: stageRunner(pool, stage.id, stage.outputChannels, onResult),
      scale: stage.scale,
      inputChannels: stage.inputChannels,
      outputChannels: stage.outputChannels,
      context: stage.context,
      memory: stage.memory(pool.provider),
      cost: stage.cost(pool.provider).secondsPerInputMegapixel,
    })),
  };
}

function stageRunner(pool: InferencePool, stageId: string, outputChannels: number, onResult?: (result: InferenceResult) => void): TileRunner {
  return async (tile: TilePixels, signal?: AbortSignal): Promise<TilePixels> => {
    const input = { data: tile.data, dims: [1, tile.channels ?? 3, tile.height, tile.width] };
    const result = await pool.run(stageId, [input], { signal });
    onResult?.(result);
    const output = result.outputs[result.outputNames[0]];
    if (output.dims.length !== 4 || output.dims[1] !== outputChannels) {
      throw new PortraitError("INFERENCE_FAILED", `The stage "${stageId}" returned a tensor of shape [${output.dims.join(", ")}], not ${outputChannels} channels.`, {
        modelId: stageId,
      });
    }
    return { data: output.data, width: output.dims[3], height: output.dims[2], ...(outputChannels !== 3 ? { channels: outputChannels } : {}) };
  };
}

function isManifestModel(modelId: string): boolean {
  try {
    modelFacts().byId(modelId);
    return true;
  } catch {
    return false;
  }
}

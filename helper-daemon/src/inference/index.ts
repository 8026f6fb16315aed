/**
 * The inference API: the only module of the product that talks to onnxruntime-node
 * (through its worker threads). Everything else calls {@link createInferencePool}.
 */
import { modelPath } from "@portrait-upscale/models";
import type { RgbImage } from "../image/image";
import { InferencePool, type InferencePoolOptions, type InferenceResult } from "./pool";
import { PortraitError } from "@portrait-upscale/shared";

export { InferencePool, findWorkerScript, type InferencePoolOptions, type InferenceResult, type InferenceStats, type RunOptions } from "./pool";
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
export type { Feeds, TensorData } from "./session-host";

/**
 * A pool whose model ids are the manifest's (files in models/cache/).
 * @example const pool = createInferencePool({ provider: "auto" }); await pool.run("blazeface-front-128", [input]);
 */
export function createInferencePool(options: Partial<InferencePoolOptions> = {}): InferencePool {
  return new InferencePool({ resolveModelPath: modelPath, ...options });
}

/** Runs one RGB tile through a super-resolution model; what the tiled driver calls. */
export type TileRunner = (tile: RgbImage, signal?: AbortSignal) => Promise<RgbImage>;

/**
 * A {@link TileRunner} for a single-input, single-output image model (NCHW RGB 0..1).
 * `onResult` sees every run (provider, notice, timing). The tile's pixels are copied, not
 * transferred, because the driver may still read them (e.g. to retry with a smaller tile).
 */
export function tileRunner(pool: InferencePool, modelId: string, onResult?: (result: InferenceResult) => void): TileRunner {
  return async (tile, signal) => {
    const input = { data: tile.rgb.slice(0, 3 * tile.width * tile.height), dims: [1, 3, tile.height, tile.width] };
    const result = await pool.run(modelId, [input], { signal });
    onResult?.(result);
    const output = result.outputs[result.outputNames[0]];
    const [, channels, height, width] = output.dims;
    if (channels !== 3 || output.dims.length !== 4) {
      throw new PortraitError("INFERENCE_FAILED", `The model "${modelId}" returned a tensor of shape [${output.dims.join(", ")}], not an RGB image.`, {
        modelId,
      });
    }
    return { width, height, rgb: output.data };
  };
}

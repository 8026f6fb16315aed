/** The portrait pipeline's model access through the daemon's inference pool. */
import { tileRunner, type InferencePool } from "../inference/index";
import type { RunDetector } from "./faces";
import type { PortraitDeps } from "./pipeline";

/**
 * A {@link RunDetector} backed by the inference pool: the NHWC input goes as the model's
 * only feed; the outputs come back in the model's order.
 * @example const faces = await detectFaces(image, poolDetector(pool));
 */
export function poolDetector(pool: InferencePool, signal?: AbortSignal): RunDetector {
  return async (modelId, input, size) => {
    const result = await pool.run(modelId, [{ data: input, dims: [1, size, size, 3] }], { signal });
    return result.outputNames.map((name) => result.outputs[name].data);
  };
}

/**
 * Everything `runPortraitPipeline` needs from the daemon's inference pool.
 * @example const result = await runPortraitPipeline(image, settings, poolPortraitDeps(pool, { signal }));
 */
export function poolPortraitDeps(
  pool: InferencePool,
  options: Omit<PortraitDeps, "tileRunner" | "runDetector"> = {},
): PortraitDeps {
  return {
    ...options,
    tileRunner: (modelId) => tileRunner(pool, modelId),
    runDetector: poolDetector(pool, options.signal),
  };
}

/** BlazeFace through the daemon's inference pool, in the shape `detectFaces` takes. */
import type { InferencePool } from "../inference/index";
import type { RunDetector } from "./faces";

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

/**
 * A bare onnxruntime session on the calling thread, with the same options as the workers:
 * the benchmark's yardstick for what the pipeline around inference costs.
 */
import * as ort from "onnxruntime-node";
import { physicalCoreCount } from "./cores";

export interface BareSession {
  /** Runs one NCHW float32 input; resolves with the milliseconds `session.run` took. */
  time(data: Float32Array, dims: readonly number[]): Promise<number>;
  release(): Promise<void>;
}

/** Opens `modelPath` on the CPU provider with the pool's settings. */
export async function openBareSession(modelPath: string, intraOpThreads = physicalCoreCount()): Promise<BareSession> {
  ort.env.logLevel = "error";
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: intraOpThreads,
    executionMode: "sequential",
    logSeverityLevel: 3,
  });
  const inputName = session.inputNames[0];
  return {
    async time(data, dims) {
      const feeds = { [inputName]: new ort.Tensor("float32", data, dims) };
      const started = performance.now();
      await session.run(feeds);
      return performance.now() - started;
    },
    release: () => session.release(),
  };
}

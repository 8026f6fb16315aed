/**
 * The real session factory: onnxruntime-node sessions with the options measured to be
 * fastest here (see docs: graph optimisation 'all', intra-op threads = physical cores,
 * sequential execution) and quiet logging (BlazeFace warns about its initializers).
 */
import * as ort from "onnxruntime-node";
import type { ProviderName } from "./providers";
import type { SessionFactory, SessionLike, TensorData } from "./session-host";

/** Options every session gets. */
export interface SessionSettings {
  readonly intraOpThreads: number;
  /** 0 verbose … 4 fatal; 3 (error) by default. */
  readonly logSeverity: 0 | 1 | 2 | 3 | 4;
}

/** The provider entry onnxruntime expects for each of our names. */
function executionProviders(provider: ProviderName): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (provider) {
    case "cpu":
      return ["cpu"];
    case "cuda":
      return [{ name: "cuda" }];
    case "dml":
      return [{ name: "dml" }];
    case "coreml":
      return [{ name: "coreml" }];
    case "webgpu":
      return [{ name: "webgpu" }];
  }
}

/** Creates onnxruntime sessions with {@link SessionSettings}. */
export function onnxruntimeSessionFactory(settings: SessionSettings): SessionFactory {
  ort.env.logLevel = (["verbose", "info", "warning", "error", "fatal"] as const)[settings.logSeverity];
  return async (modelPath: string, provider: ProviderName): Promise<SessionLike> => {
    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: executionProviders(provider),
      graphOptimizationLevel: "all",
      intraOpNumThreads: settings.intraOpThreads,
      // The CPU provider's inter-op pool only matters in parallel mode, which is slower here.
      executionMode: "sequential",
      logSeverityLevel: settings.logSeverity,
    });
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      async run(feeds) {
        const tensors: Record<string, ort.Tensor> = {};
        for (const [name, feed] of Object.entries(feeds)) tensors[name] = new ort.Tensor("float32", feed.data, feed.dims);
        const results = await session.run(tensors);
        const outputs: Record<string, TensorData> = {};
        for (const [name, tensor] of Object.entries(results)) {
          outputs[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
        }
        return outputs;
      },
      release: () => session.release(),
    };
  };
}

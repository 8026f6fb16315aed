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
  /** The GPU on machines with several (CUDA and DirectML); 0 by default. */
  readonly device?: number;
}

const COREML_FLAG_CREATE_MLPROGRAM = 0x010;

/**
 * The provider entry onnxruntime expects for each of our names, with per-provider options:
 * the chosen GPU (CUDA, DirectML) and CoreML's ML Program format (COREML_FLAG_CREATE_MLPROGRAM,
 * the format that runs fp16 on the Neural Engine and GPU). CoreML and WebGPU have no device
 * choice in onnxruntime-node (an Apple Silicon Mac has one GPU; Dawn picks WebGPU's adapter).
 */
export function executionProviders(provider: ProviderName, device = 0): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (provider) {
    case "cpu":
      return ["cpu"];
    case "cuda":
      return [{ name: "cuda", deviceId: device }];
    case "dml":
      return [{ name: "dml", deviceId: device }];
    case "coreml":
      return [{ name: "coreml", coreMlFlags: COREML_FLAG_CREATE_MLPROGRAM }];
    case "webgpu":
      return [{ name: "webgpu" }];
  }
}

/**
 * The session options for `provider`: the measured CPU settings for every provider (they
 * govern the CPU-side nodes a GPU provider leaves), the provider entry with the chosen device.
 */
export function sessionOptions(provider: ProviderName, settings: SessionSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(provider, settings.device ?? 0),
    graphOptimizationLevel: "all",
    intraOpNumThreads: settings.intraOpThreads,
    // The CPU provider's inter-op pool only matters in parallel mode, which is slower here.
    executionMode: "sequential",
    logSeverityLevel: settings.logSeverity,
    // DirectML refuses sessions with memory patterns enabled (onnxruntime's DirectML provider documentation).
    ...(provider === "dml" ? { enableMemPattern: false } : {}),
  };
}

/** Creates onnxruntime sessions with {@link SessionSettings}. */
export function onnxruntimeSessionFactory(settings: SessionSettings): SessionFactory {
  ort.env.logLevel = (["verbose", "info", "warning", "error", "fatal"] as const)[settings.logSeverity];
  return async (modelPath: string, provider: ProviderName): Promise<SessionLike> => {
    const session = await ort.InferenceSession.create(modelPath, sessionOptions(provider, settings));
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

/** Messages between the inference pool (main thread) and its workers. */
import type { ErrorPayload } from "@portrait-upscale/shared";
import type { ProviderName } from "./providers";
import type { Feeds, HostRunResult } from "./session-host";

/** Passed as `workerData`. */
export interface WorkerSettings {
  readonly intraOpThreads: number;
  readonly logSeverity: 0 | 1 | 2 | 3 | 4;
  /** The GPU to use on machines with several (CUDA, DirectML); 0 by default. */
  readonly device?: number;
}

export type ToWorker =
  | { readonly type: "run"; readonly id: number; readonly modelPath: string; readonly provider: ProviderName; readonly feeds: Feeds }
  | { readonly type: "dispose" };

export type FromWorker =
  | { readonly type: "result"; readonly id: number; readonly result: HostRunResult }
  | { readonly type: "error"; readonly id: number; readonly error: ErrorPayload }
  | { readonly type: "disposed" };

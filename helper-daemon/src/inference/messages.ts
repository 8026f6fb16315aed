/** Messages between the inference pool (main thread) and its workers. */
import type { ErrorPayload } from "@portrait-upscale/shared";
import type { HostRunRequest, HostRunResult } from "./session-host";

/** Passed as `workerData`. */
export interface WorkerSettings {
  readonly intraOpThreads: number;
  readonly logSeverity: 0 | 1 | 2 | 3 | 4;
  /** The GPU to use on machines with several (CUDA, DirectML); 0 by default. */
  readonly device?: number;
}

export type ToWorker =
  | ({ readonly type: "run"; readonly id: number } & HostRunRequest)
  | { readonly type: "dispose" }
  /** Release the warm sessions but keep the worker (idle time, memory pressure). */
  | { readonly type: "release" };

export type FromWorker =
  | { readonly type: "result"; readonly id: number; readonly result: HostRunResult }
  | { readonly type: "error"; readonly id: number; readonly error: ErrorPayload }
  | { readonly type: "disposed" }
  | { readonly type: "released"; readonly sessions: number };

/**
 * The inference pool: worker threads that own warm onnxruntime sessions. The main thread
 * sends input tensors (their buffers are transferred, not copied) and receives outputs.
 * Requests queue; one worker per device by default, because a second worker on the same
 * cores only competes with the first one's intra-op threads.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import type { FromWorker, ToWorker, WorkerSettings } from "./messages";
import { physicalCoreCount } from "./cores";
import { currentPlatformFacts } from "./platform-facts";
import { selectProvider, type PlatformFacts, type ProviderName, type ProviderRequest } from "./providers";
import type { Feeds, TensorData } from "./session-host";
import { IdleRelease, type IdleReleaseOptions } from "./idle-release";
import { findWorkerScript, transferable } from "./worker-script";

export { findWorkerScript } from "./worker-script";
export { LOW_FREE_MEMORY_BYTES } from "./idle-release";

/** How the pool runs; the idle-release options say when warm sessions are given back. */
export interface InferencePoolOptions extends IdleReleaseOptions {
  /** `auto` (default) or a provider to force. */
  readonly provider?: ProviderRequest;
  /** Worker threads; 1 by default. */
  readonly workers?: number;
  /** onnxruntime intra-op threads per worker; physical cores divided among the workers by default. */
  readonly intraOpThreads?: number;
  /** onnxruntime log severity, 3 (errors only) by default. */
  readonly logSeverity?: 0 | 1 | 2 | 3 | 4;
  /** The GPU to use on machines with several (`--device N`); 0 by default. */
  readonly device?: number;
  /** Maps a model id to its `.onnx` file. */
  readonly resolveModelPath: (modelId: string) => string;
  /**
   * The variant file (e.g. fp16) a GPU provider runs instead, made on first use; undefined
   * keeps the fp32 file. Not called for the CPU, which always runs fp32.
   */
  readonly resolveVariantPath?: (modelId: string, provider: ProviderName) => Promise<string | undefined>;
  /** The bundled worker script; found next to the bundle (or in helper-daemon/dist) by default. */
  readonly workerPath?: string;
  /** The platform facts; this machine's by default (tests pass others). */
  readonly facts?: PlatformFacts;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
}

/** One model run's result. */
export interface InferenceResult {
  readonly modelId: string;
  readonly outputs: Readonly<Record<string, TensorData>>;
  /** Output names in the model's order. */
  readonly outputNames: readonly string[];
  /** The provider that actually ran. */
  readonly provider: ProviderName;
  /** Why the chosen provider was not used (fallback), when that happened. */
  readonly notice?: string;
  readonly inferenceMs: number;
}

/** Totals since the pool was created (or since {@link InferencePool.resetStats}). */
export interface InferenceStats {
  runs: number;
  inferenceMs: number;
  providers: Set<ProviderName>;
  notices: Set<string>;
  modelIds: Set<string>;
}

interface Request {
  readonly id: number;
  readonly modelId: string;
  readonly message: ToWorker & { type: "run" };
  readonly transfer: ArrayBuffer[];
  readonly resolve: (result: InferenceResult) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Slot {
  worker: Worker | undefined;
  current: Request | undefined;
  /** Called when the current request's answer arrives (or the worker dies). */
  onIdle: (() => void) | undefined;
}

export class InferencePool {
  /** The provider chosen for this pool (before any fallback). */
  readonly provider: ProviderName;
  private readonly slots: Slot[];
  private readonly queue: Request[] = [];
  private readonly settings: WorkerSettings;
  private readonly workerPath: string;
  private readonly resolveModelPath: (modelId: string) => string;
  private readonly resolveVariantPath: InferencePoolOptions["resolveVariantPath"];
  /** Per model: the variant file to run, or the notice saying why the fp32 file runs instead. */
  private readonly variants = new Map<string, Promise<{ path?: string; notice?: string }>>();
  private nextId = 1;
  private closed = false;
  private readonly idleRelease: IdleRelease;
  private releasedSessions = 0;
  /** The memory plan the warm sessions were made under (see {@link planJob}). */
  private plan: string | undefined;
  private totals: InferenceStats = emptyStats();

  constructor(options: InferencePoolOptions) {
    this.provider = selectProvider(options.provider ?? "auto", options.facts ?? currentPlatformFacts());
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw invalidParameter("an integer from 1 to 64", "workers", workers);
    const cores = physicalCoreCount();
    const threads = options.intraOpThreads ?? Math.max(1, Math.floor(cores / workers));
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw invalidParameter("an integer from 1 to 256", "intraOpThreads", threads);
    }
    const device = options.device ?? 0;
    if (!Number.isInteger(device) || device < 0 || device > 64) throw invalidParameter("an integer from 0 to 64", "device", device);
    this.settings = { intraOpThreads: threads, logSeverity: options.logSeverity ?? 3, device };
    this.workerPath = options.workerPath ?? findWorkerScript();
    this.resolveModelPath = options.resolveModelPath;
    this.resolveVariantPath = options.resolveVariantPath;
    this.idleRelease = new IdleRelease(options, () => this.releaseSessions());
    this.slots = Array.from({ length: workers }, () => ({ worker: undefined, current: undefined, onIdle: undefined }));
  }

  /** The settings every worker's sessions get (threads, log level, device). */
  get workerSettings(): WorkerSettings {
    return this.settings;
  }

  /** The intra-op thread count each worker's sessions use. */
  get intraOpThreads(): number {
    return this.settings.intraOpThreads;
  }

  /**
   * Runs a model. Input buffers are transferred to the worker (the caller's arrays become
   * empty); pass copies to keep them. Rejects with CANCELLED when `signal` aborts.
   */
  run(modelId: string, feeds: Feeds, options: RunOptions = {}): Promise<InferenceResult> {
    if (this.closed) return Promise.reject(new PortraitError("INTERNAL", "The inference pool is closed."));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(cancelled());
    let modelPath: string;
    try {
      modelPath = this.resolveModelPath(modelId);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!existsSync(modelPath)) {
      return Promise.reject(
        new PortraitError("MODEL_MISSING", `The model "${modelId}" is not installed; run \`npm install\` or \`portrait-upscale models verify --repair\`.`, {
          modelId,
        }),
      );
    }
    const { feeds: ownedFeeds, transfer } = transferable(feeds);
    return this.variant(modelId).then(
      (variant) =>
        new Promise<InferenceResult>((resolve, reject) => {
          const id = this.nextId++;
          const message: ToWorker & { type: "run" } = {
            type: "run",
            id,
            modelPath: variant.path ?? modelPath,
            provider: this.provider,
            feeds: ownedFeeds,
            ...(variant.path !== undefined ? { fallbackModelPath: modelPath } : {}),
            ...(variant.notice !== undefined ? { notice: variant.notice } : {}),
          };
          const request: Request = { id, modelId, message, transfer, resolve, reject, signal, onAbort: () => this.abort(request) };
          if (signal?.aborted) return reject(cancelled());
          signal?.addEventListener("abort", request.onAbort, { once: true });
          this.queue.push(request);
          this.dispatch();
        }),
    );
  }

  /** The variant this pool's provider runs for `modelId` (asked once per model); the fp32 file on failure, with a notice. */
  private variant(modelId: string): Promise<{ path?: string; notice?: string }> {
    const resolveVariant = this.resolveVariantPath;
    if (resolveVariant === undefined || this.provider === "cpu") return Promise.resolve({});
    let pending = this.variants.get(modelId);
    if (pending === undefined) {
      pending = resolveVariant(modelId, this.provider).then(
        (path) => (path === undefined ? {} : { path }),
        (error: unknown) => ({ notice: `The ${this.provider} variant of ${modelId} could not be made (${error instanceof Error ? error.message : String(error)}); ran the fp32 model instead.` }),
      );
      this.variants.set(modelId, pending);
    }
    return pending;
  }

  /**
   * Says that a job with memory plan `plan` (its models and tiles) starts. When the plan differs
   * from the one the warm sessions were made under, they are released first: a session's arena
   * keeps the buffers of its largest run and a job's plan counts only its own sessions at its
   * own tiles, so a worker taking images of other sizes would otherwise hold every plan's
   * arenas at once. Jobs with the same plan (a batch from one camera) keep the sessions warm;
   * making them again costs well under a second each.
   * @example pool.planJob(JSON.stringify({ models, tiles }))
   */
  planJob(plan: string): void {
    if (plan === this.plan) return;
    const earlier = this.plan;
    this.plan = plan;
    if (earlier !== undefined) this.releaseSessions();
  }

  /** Sessions released so far because the pool was idle, memory was short or a job's plan changed. */
  get sessionsReleased(): number {
    return this.releasedSessions;
  }

  /** Totals of every run so far. */
  stats(): InferenceStats {
    return this.totals;
  }

  /** Starts new totals (e.g. per job) and returns the old ones. */
  resetStats(): InferenceStats {
    const previous = this.totals;
    this.totals = emptyStats();
    return previous;
  }

  /** Cancels queued work, releases sessions and stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.idleRelease.busy();
    for (const request of this.queue.splice(0)) this.settle(request, () => request.reject(cancelled()));
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        if (!worker) return;
        // Terminating a worker inside session.run aborts the whole process (onnxruntime
        // throws across the native boundary), so let the tile in flight finish first. The
        // daemon does not wait for this: `serve` ends its process instead (server/supervisor).
        if (slot.current !== undefined) await new Promise<void>((resolve) => (slot.onIdle = resolve));
        if (slot.worker !== worker) return;
        slot.worker = undefined;
        // A polite goodbye releases native sessions; keep the process alive until it is
        // answered (idle workers are unref'd), but don't wait long.
        worker.ref();
        const disposed = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          worker.once("message", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        worker.postMessage({ type: "dispose" } satisfies ToWorker);
        await disposed;
        await worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    if (this.queue.length > 0) this.idleRelease.busy();
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.current !== undefined) continue;
      const request = this.queue.shift()!;
      const worker = slot.worker ?? this.spawn(slot);
      slot.current = request;
      worker.ref();
      worker.postMessage(request.message, request.transfer);
    }
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(this.workerPath, { workerData: this.settings });
    slot.worker = worker;
    worker.on("message", (message: FromWorker) => {
      if (message.type === "disposed") return;
      if (message.type === "released") {
        this.releasedSessions += message.sessions;
        return;
      }
      const request = slot.current;
      if (!request || request.id !== message.id) return;
      slot.current = undefined;
      worker.unref();
      this.becameIdle(slot);
      if (message.type === "result") {
        const result: InferenceResult = { modelId: request.modelId, ...message.result };
        this.record(result);
        this.settle(request, () => request.resolve(result));
      } else {
        this.settle(request, () => request.reject(new PortraitError(message.error.code, message.error.message, message.error.data as Record<string, unknown>)));
      }
      if (!this.closed) this.dispatch();
      if (!this.closed && this.queue.length === 0 && this.slots.every((other) => other.current === undefined)) this.idleRelease.idle();
    });
    const fail = (error: Error | number): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const request = slot.current;
      slot.current = undefined;
      this.becameIdle(slot);
      const reason = typeof error === "number" ? `exited with code ${error}` : error.message;
      if (request) {
        this.settle(request, () =>
          request.reject(new PortraitError("INFERENCE_FAILED", `The inference worker stopped: ${reason}`, { modelId: request.modelId })),
        );
      }
      if (!this.closed) this.dispatch();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return worker;
  }

  private releaseSessions(): void {
    for (const slot of this.slots) {
      if (slot.worker !== undefined && slot.current === undefined) slot.worker.postMessage({ type: "release" } satisfies ToWorker);
    }
  }

  private becameIdle(slot: Slot): void {
    const onIdle = slot.onIdle;
    slot.onIdle = undefined;
    onIdle?.();
  }

  private abort(request: Request): void {
    const queued = this.queue.indexOf(request);
    if (queued >= 0) this.queue.splice(queued, 1);
    // A running request cannot be interrupted inside onnxruntime: its result is discarded
    // when it arrives, and the caller is released now.
    this.settle(request, () => request.reject(cancelled()));
  }

  private settle(request: Request, action: () => void): void {
    request.signal?.removeEventListener("abort", request.onAbort);
    action();
  }

  private record(result: InferenceResult): void {
    this.totals.runs += 1;
    this.totals.inferenceMs += result.inferenceMs;
    this.totals.providers.add(result.provider);
    this.totals.modelIds.add(result.modelId);
    if (result.notice) this.totals.notices.add(result.notice);
  }
}

function emptyStats(): InferenceStats {
  return { runs: 0, inferenceMs: 0, providers: new Set(), notices: new Set(), modelIds: new Set() };
}

function cancelled(): PortraitError {
  return new PortraitError("CANCELLED");
}

/** Threads to use when a caller wants "all cores" without the pool (e.g. a bench baseline). */
export function defaultIntraOpThreads(): number {
  return physicalCoreCount() || availableParallelism();
}

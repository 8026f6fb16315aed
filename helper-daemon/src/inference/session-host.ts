/**
 * Owns warm sessions inside a worker thread and applies the fallback rules: a GPU provider
 * that cannot load or run a model is replaced by the CPU for that model (the same tensors are
 * run again), allocation failures surface as OUT_OF_MEMORY. Independent of onnxruntime so the
 * rules are tested with a failing factory.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { decideAfterFailure, type ProviderName } from "./providers";

/** A float32 tensor: data plus dims (NCHW for images). */
export interface TensorData {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Inputs by name, or positionally in the model's input order. */
export type Feeds = Readonly<Record<string, TensorData>> | readonly TensorData[];

/** The part of an onnxruntime session the host uses. */
export interface SessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export type SessionFactory = (modelPath: string, provider: ProviderName) => Promise<SessionLike>;

export interface HostRunRequest {
  /** The file `provider` runs (a GPU provider's fp16 variant, or the fp32 model). */
  readonly modelPath: string;
  readonly provider: ProviderName;
  readonly feeds: Feeds;
  /** The fp32 file a fallback to the CPU runs, when `modelPath` is a variant. */
  readonly fallbackModelPath?: string;
  /** Said with the result when nothing more important is (e.g. why no variant runs). */
  readonly notice?: string;
}

export interface HostRunResult {
  /** Outputs by name. */
  readonly outputs: Record<string, TensorData>;
  /** Output names in the model's order. */
  readonly outputNames: readonly string[];
  /** The provider that actually ran. */
  readonly provider: ProviderName;
  /** Why the requested provider was not used, when it was not. */
  readonly notice?: string;
  readonly inferenceMs: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class SessionHost {
  private readonly sessions = new Map<string, Promise<SessionLike>>();
  /** Models whose requested provider failed, with the notice explaining why. */
  private readonly fallbacks = new Map<string, string>();
  /** Variants whose outputs were not finite on their provider, with the notice: the fp32 file runs there instead. */
  private readonly fp32Only = new Map<string, string>();

  constructor(private readonly createSession: SessionFactory) {}

  /** Runs one request, creating (and keeping) the session on first use. */
  async run(request: HostRunRequest): Promise<HostRunResult> {
    const fallbackKey = `${request.provider}\u0000${request.modelPath}`;
    const cpuPath = request.fallbackModelPath ?? request.modelPath;
    const variantPath = this.fp32Only.has(fallbackKey) ? cpuPath : request.modelPath;
    let provider = this.fallbacks.has(fallbackKey) ? "cpu" : request.provider;
    let session: SessionLike;
    try {
      session = await this.session(provider === request.provider ? variantPath : cpuPath, provider);
    } catch (error) {
      provider = this.fallBackOrThrow(provider, "session", error, fallbackKey);
      session = await this.sessionOrThrow(cpuPath, provider);
    }
    const feeds = namedFeeds(session, request.feeds);
    const started = performance.now();
    let outputs: Record<string, TensorData>;
    try {
      outputs = await session.run(feeds);
    } catch (error) {
      provider = this.fallBackOrThrow(provider, "run", error, fallbackKey);
      await this.drop(variantPath, request.provider);
      session = await this.sessionOrThrow(cpuPath, provider);
      try {
        outputs = await session.run(feeds);
      } catch (cpuError) {
        this.fallBackOrThrow("cpu", "run", cpuError, fallbackKey);
        throw cpuError;
      }
    }
    if (provider === request.provider && variantPath !== cpuPath && !allFinite(outputs)) {
      // Some GPUs (GTX 16xx) compute fp16 wrongly and return NaN, seen by users as black images.
      this.fp32Only.set(fallbackKey, `The ${provider} provider's fp16 model gave invalid values (NaN or infinity), as some GPUs do; ran the fp32 model instead.`);
      await this.drop(variantPath, provider);
      // Again with the fp32 file on the same provider, under the same fallback rules.
      return this.run(request);
    }
    const inferenceMs = performance.now() - started;
    const notice = provider !== request.provider ? this.fallbacks.get(fallbackKey) : (this.fp32Only.get(fallbackKey) ?? request.notice);
    return { outputs, outputNames: session.outputNames, provider, inferenceMs, ...(notice !== undefined ? { notice } : {}) };
  }

  /** How many sessions are warm (created or being created). */
  get warmSessions(): number {
    return this.sessions.size;
  }

  /** Releases every session (on close, after idle time, under memory pressure); the next run creates them again. */
  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map(async (pending) => (await pending).release()));
  }

  private session(modelPath: string, provider: ProviderName): Promise<SessionLike> {
    const key = `${provider}\u0000${modelPath}`;
    let pending = this.sessions.get(key);
    if (!pending) {
      pending = this.createSession(modelPath, provider);
      this.sessions.set(key, pending);
      // A failed creation must not be cached: the next request may succeed (e.g. after memory frees up).
      pending.catch(() => this.sessions.delete(key));
    }
    return pending;
  }

  private async sessionOrThrow(modelPath: string, provider: ProviderName): Promise<SessionLike> {
    try {
      return await this.session(modelPath, provider);
    } catch (error) {
      this.fallBackOrThrow(provider, "session", error, "");
      throw error;
    }
  }

  private async drop(modelPath: string, provider: ProviderName): Promise<void> {
    const key = `${provider}\u0000${modelPath}`;
    const pending = this.sessions.get(key);
    this.sessions.delete(key);
    if (pending) await pending.then((session) => session.release()).catch(() => undefined);
  }

  /** Returns "cpu" when the failure allows a fallback (remembering why), throws otherwise. */
  private fallBackOrThrow(provider: ProviderName, stage: "session" | "run", error: unknown, fallbackKey: string): "cpu" {
    if (error instanceof PortraitError) throw error;
    const decision = decideAfterFailure(provider, stage, messageOf(error));
    if (decision.action === "fail") throw decision.error;
    if (fallbackKey) this.fallbacks.set(fallbackKey, decision.notice);
    return decision.provider;
  }
}

function allFinite(outputs: Record<string, TensorData>): boolean {
  for (const tensor of Object.values(outputs)) for (const value of tensor.data) if (!Number.isFinite(value)) return false;
  return true;
}

function namedFeeds(session: SessionLike, feeds: Feeds): Record<string, TensorData> {
  if (!Array.isArray(feeds)) return { ...(feeds as Record<string, TensorData>) };
  const list = feeds as readonly TensorData[];
  if (list.length !== session.inputNames.length) {
    throw new PortraitError("INFERENCE_FAILED", `The model takes ${session.inputNames.length} inputs but ${list.length} were given.`, {
      inputNames: session.inputNames,
    });
  }
  return Object.fromEntries(session.inputNames.map((name, index) => [name, list[index]]));
}

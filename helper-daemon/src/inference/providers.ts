/**
 * Execution-provider selection as pure functions over the platform's facts, so every
 * operating system's behaviour is tested on any machine. The facts themselves are gathered
 * in `platform-facts.ts` (which touches onnxruntime and the file system).
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";

/** Providers the product knows how to configure. */
export const PROVIDER_NAMES = ["cpu", "cuda", "dml", "coreml", "webgpu"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];
/** What a user may ask for: a provider, or `auto`. */
export type ProviderRequest = "auto" | ProviderName;
export const PROVIDER_REQUESTS: readonly ProviderRequest[] = ["auto", ...PROVIDER_NAMES];

/** The order `auto` tries; webgpu is experimental in onnxruntime-node, so only chosen when forced. */
const AUTO_ORDER: readonly ProviderName[] = ["cuda", "dml", "coreml", "cpu"];

/** One entry of onnxruntime-node's `listSupportedBackends()`. */
export interface BackendEntry {
  readonly name: string;
  readonly bundled: boolean;
}

/** Everything provider selection depends on. */
export interface PlatformFacts {
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** `listSupportedBackends()`; empty when onnxruntime-node has no build for this platform. */
  readonly backends: readonly BackendEntry[];
  /** Whether the CUDA provider library (installed separately on Linux) sits next to the binding. */
  readonly cudaLibraryPresent: boolean;
}

/** Validates a `--provider` value at the edge. */
export function parseProviderRequest(value: unknown, name = "provider"): ProviderRequest {
  if (typeof value === "string" && (PROVIDER_REQUESTS as readonly string[]).includes(value)) {
    return value as ProviderRequest;
  }
  throw invalidParameter(`one of ${PROVIDER_REQUESTS.join(", ")}`, name, value);
}

/** The providers that can run here, best first (CPU last). */
export function availableProviders(facts: PlatformFacts): ProviderName[] {
  const listed = new Map(facts.backends.map((backend) => [backend.name, backend.bundled]));
  if (listed.size === 0) return [];
  const available: ProviderName[] = [];
  const cudaPlatform = facts.platform === "linux" || facts.platform === "win32";
  if (cudaPlatform && listed.has("cuda") && (listed.get("cuda") || facts.cudaLibraryPresent)) available.push("cuda");
  if (facts.platform === "win32" && listed.has("dml")) available.push("dml");
  if (facts.platform === "darwin" && facts.arch === "arm64" && listed.has("coreml")) available.push("coreml");
  if (listed.get("webgpu")) available.push("webgpu");
  if (listed.has("cpu")) available.push("cpu");
  return available;
}

/** What `auto` resolves to here; undefined when nothing can run. */
export function autoProvider(facts: PlatformFacts): ProviderName | undefined {
  const available = availableProviders(facts);
  return AUTO_ORDER.find((name) => available.includes(name));
}

/**
 * The provider to use for `request`. Throws PROVIDER_UNAVAILABLE, naming what is available,
 * when a forced provider is missing or onnxruntime has no build for this platform.
 */
export function selectProvider(request: ProviderRequest, facts: PlatformFacts): ProviderName {
  const available = availableProviders(facts);
  const chosen = request === "auto" ? autoProvider(facts) : available.includes(request) ? request : undefined;
  if (chosen !== undefined) return chosen;
  const where = `${facts.platform} ${facts.arch}`;
  const message =
    available.length === 0
      ? `onnxruntime-node has no build for ${where}, so no execution provider can run here.`
      : `The execution provider "${request}" is not available on ${where}. Available: ${available.join(", ")}.`;
  throw new PortraitError("PROVIDER_UNAVAILABLE", message, { requested: request, available, platform: facts.platform, arch: facts.arch });
}

/**
 * Onnxruntime failures that mean "not enough memory": the tiled driver answers them by
 * halving the tile, so they must not be mistaken for a broken provider.
 */
const OUT_OF_MEMORY_PATTERNS = [
  /failed to allocate memory/i,
  /bad_alloc/i,
  /out of memory/i,
  /CUDA_ERROR_OUT_OF_MEMORY/i,
  /cudaErrorMemoryAllocation/i,
  /E_OUTOFMEMORY/i,
  /DXGI_ERROR_DEVICE_REMOVED/i,
  /0x8007000E/i,
  /\bOOM\b/,
];

/** True when an onnxruntime error message describes an allocation failure. */
export function isOutOfMemoryMessage(message: string): boolean {
  return OUT_OF_MEMORY_PATTERNS.some((pattern) => pattern.test(message));
}

/** What to do after a provider failed: fall back to CPU, or give up with a coded error. */
export type FailureDecision =
  | { readonly action: "fallback"; readonly provider: "cpu"; readonly notice: string }
  | { readonly action: "fail"; readonly error: PortraitError };

/**
 * Decides what a session-creation or run failure on `provider` leads to. Allocation
 * failures become OUT_OF_MEMORY (the caller halves the tile); anything else on a GPU
 * provider falls back to CPU with a notice saying why; a CPU failure is final.
 */
export function decideAfterFailure(provider: ProviderName, stage: "session" | "run", message: string): FailureDecision {
  if (isOutOfMemoryMessage(message)) {
    return {
      action: "fail",
      error: new PortraitError("OUT_OF_MEMORY", `The ${provider} provider ran out of memory: ${firstLine(message)}`, { provider, stage }),
    };
  }
  if (provider !== "cpu") {
    const what = stage === "session" ? "could not load the model" : "failed while running";
    return { action: "fallback", provider: "cpu", notice: `The ${provider} provider ${what} (${firstLine(message)}); ran on the CPU instead.` };
  }
  return {
    action: "fail",
    error: new PortraitError("INFERENCE_FAILED", `The model failed to run on the CPU: ${firstLine(message)}`, { provider, stage }),
  };
}

/** The first line of an onnxruntime message without its source location and failed assertion. */
function firstLine(message: string): string {
  let line = message.split("\n", 1)[0].trim();
  line = line.replace(/^\S+\.(?:cc|cpp|h):\d+\s+/, "");
  const assertion = line.indexOf(" was false. ");
  if (assertion >= 0) line = line.slice(assertion + " was false. ".length);
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

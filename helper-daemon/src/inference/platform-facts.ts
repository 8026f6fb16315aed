/**
 * Gathers the facts provider selection needs from this machine. Loading onnxruntime-node
 * can fail outright (no build for Intel Macs since 1.24); that is a fact too: no backends.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:process";
import { dirname, join } from "node:path";
import type { BackendEntry, PlatformFacts } from "./providers";

const requireHere = createRequire(import.meta.url);

/** The onnxruntime-node version, or undefined when it cannot be loaded here. */
export function onnxruntimeVersion(): string | undefined {
  try {
    const ort = requireHere("onnxruntime-node") as { env: { versions: { node?: string; common?: string } } };
    return ort.env.versions.node ?? ort.env.versions.common;
  } catch {
    return undefined;
  }
}

function listBackends(): BackendEntry[] {
  try {
    const ort = requireHere("onnxruntime-node") as { listSupportedBackends(): BackendEntry[] };
    return ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled }));
  } catch {
    return [];
  }
}

/** The folder holding onnxruntime_binding.node for this platform, where provider libraries are installed. */
function bindingFolder(): string | undefined {
  try {
    const main = requireHere.resolve("onnxruntime-node");
    return join(dirname(main), "..", "bin", "napi-v6", platform, arch);
  } catch {
    return undefined;
  }
}

function cudaLibraryPresent(): boolean {
  const folder = bindingFolder();
  if (!folder) return false;
  const file = platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  return existsSync(join(folder, file));
}

let cached: PlatformFacts | undefined;

/** This machine's facts (computed once per process). */
export function currentPlatformFacts(): PlatformFacts {
  cached ??= { platform, arch, backends: listBackends(), cudaLibraryPresent: cudaLibraryPresent() };
  return cached;
}

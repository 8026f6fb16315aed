import { executionProviders } from "./ort-session";
import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import {
  autoProvider,
  availableProviders,
  decideAfterFailure,
  isOutOfMemoryMessage,
  parseProviderRequest,
  selectProvider,
  type PlatformFacts,
  type ProviderRequest,
} from "./providers";

const linuxBackends = [
  { name: "cpu", bundled: true },
  { name: "webgpu", bundled: true },
  { name: "cuda", bundled: false },
  { name: "tensorrt", bundled: false },
];
const FACTS: Record<string, PlatformFacts> = {
  linux: { platform: "linux", arch: "x64", backends: linuxBackends, cudaLibraryPresent: false },
  linuxCuda: { platform: "linux", arch: "x64", backends: linuxBackends, cudaLibraryPresent: true },
  windows: {
    platform: "win32",
    arch: "x64",
    backends: [
      { name: "cpu", bundled: true },
      { name: "dml", bundled: true },
      { name: "webgpu", bundled: true },
      { name: "cuda", bundled: false },
    ],
    cudaLibraryPresent: false,
  },
  macArm: {
    platform: "darwin",
    arch: "arm64",
    backends: [
      { name: "cpu", bundled: true },
      { name: "coreml", bundled: true },
      { name: "webgpu", bundled: true },
    ],
    cudaLibraryPresent: false,
  },
  macIntel: { platform: "darwin", arch: "x64", backends: [], cudaLibraryPresent: false },
};

describe("provider selection", () => {
  it.each([
    ["linux", ["webgpu", "cpu"], "cpu"],
    ["linuxCuda", ["cuda", "webgpu", "cpu"], "cuda"],
    ["windows", ["dml", "webgpu", "cpu"], "dml"],
    ["macArm", ["coreml", "webgpu", "cpu"], "coreml"],
    ["macIntel", [], undefined],
  ])("%s offers %j and auto picks %s", (key, available, auto) => {
    expect(availableProviders(FACTS[key])).toEqual(available);
    expect(autoProvider(FACTS[key])).toBe(auto);
  });

  it.each<[string, ProviderRequest, string]>([
    ["linux", "cpu", "cpu"],
    ["linuxCuda", "cpu", "cpu"],
    ["linuxCuda", "auto", "cuda"],
    ["windows", "dml", "dml"],
    ["macArm", "coreml", "coreml"],
    ["linux", "webgpu", "webgpu"],
  ])("on %s, %s selects %s", (key, request, expected) => {
    expect(selectProvider(request, FACTS[key])).toBe(expected);
  });

  it.each<[string, ProviderRequest, string]>([
    ["linux", "cuda", 'The execution provider "cuda" is not available on linux x64. Available: webgpu, cpu.'],
    ["windows", "coreml", 'The execution provider "coreml" is not available on win32 x64. Available: dml, webgpu, cpu.'],
    ["macArm", "dml", 'The execution provider "dml" is not available on darwin arm64. Available: coreml, webgpu, cpu.'],
    ["macIntel", "auto", "onnxruntime-node has no build for darwin x64, so no execution provider can run here."],
    ["macIntel", "cpu", "onnxruntime-node has no build for darwin x64, so no execution provider can run here."],
  ])("on %s, forcing %s fails with PROVIDER_UNAVAILABLE", (key, request, message) => {
    const error = captureError(() => selectProvider(request, FACTS[key]));
    expect(error.code).toBe("PROVIDER_UNAVAILABLE");
    expect(error.message).toBe(message);
    expect(error.data?.available).toEqual(availableProviders(FACTS[key]));
  });

  it("validates --provider with the one message shape", () => {
    expect(parseProviderRequest("dml")).toBe("dml");
    const error = captureError(() => parseProviderRequest("tpu"));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toBe('Expected one of auto, cpu, cuda, dml, coreml, webgpu for provider but received "tpu" of type string');
  });
});

describe("failures", () => {
  it.each([
    "Failed to allocate memory for requested buffer of size 1073741824",
    "std::bad_alloc",
    "CUDA failure 2: out of memory ; GPU=0",
    "D3D12 E_OUTOFMEMORY while creating a committed resource",
  ])("recognises %j as out of memory", (message) => {
    expect(isOutOfMemoryMessage(message)).toBe(true);
    for (const provider of ["cpu", "cuda", "dml"] as const) {
      const decision = decideAfterFailure(provider, "run", message);
      expect(decision.action).toBe("fail");
      if (decision.action === "fail") expect(decision.error.code).toBe("OUT_OF_MEMORY");
    }
  });

  it("falls back to the CPU after any other GPU failure, saying why", () => {
    expect(decideAfterFailure("cuda", "session", "no CUDA-capable device is detected")).toEqual({
      action: "fallback",
      provider: "cpu",
      notice: "The cuda provider could not load the model (no CUDA-capable device is detected); ran on the CPU instead.",
    });
    expect(decideAfterFailure("dml", "run", "Non-zero status code returned while running Conv node")).toMatchObject({ action: "fallback" });
  });

  it("does not fall back from the CPU", () => {
    const decision = decideAfterFailure("cpu", "run", "Invalid rank for input");
    expect(decision.action).toBe("fail");
    if (decision.action === "fail") expect(decision.error.code).toBe("INFERENCE_FAILED");
  });
});

function captureError(action: () => unknown): PortraitError {
  try {
    action();
  } catch (error) {
    if (error instanceof PortraitError) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("executionProviders: per-provider session options", () => {
  it.each([
    ["cpu", 0, ["cpu"]],
    ["cuda", 1, [{ name: "cuda", deviceId: 1 }]],
    ["dml", 2, [{ name: "dml", deviceId: 2 }]],
    ["coreml", 0, [{ name: "coreml", coreMlFlags: 0x010 }]],
    ["webgpu", 0, [{ name: "webgpu" }]],
  ] as const)("%s, device %i", (provider, device, expected) => {
    expect(executionProviders(provider, device)).toEqual(expected);
  });
});

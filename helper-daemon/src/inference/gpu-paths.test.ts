// GPU paths without a GPU: the variant a GPU provider runs, the fp32 file a CPU fallback
// runs instead, the device reaching the session options, and warm sessions given back when
// the pool is idle or memory is short. Real worker threads and onnxruntime, tiny models.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nearestUpscale, writeNearestUpscaler } from "../../test/integration/support/tiny-models";
import { MODEL_DIR_ENV, findModel, loadManifest, modelPath, sha256Hex } from "@portrait-upscale/models";
import { createInferencePool } from "./index";
import { sessionOptions } from "./ort-session";
import { InferencePool, type InferencePoolOptions } from "./pool";
import type { PlatformFacts } from "./providers";
import { SessionHost, type SessionFactory } from "./session-host";

// These tests start the bundled worker: `npm run build` first (the root `npm test` does).
const folder = mkdtempSync(join(tmpdir(), "pu-gpu-paths-"));
const MODELS: Record<string, string> = {};
beforeAll(() => {
  MODELS.fp32 = writeNearestUpscaler(4, folder);
  // Stands in for the fp16 variant: a different model, so the output tells which file ran.
  MODELS.variant = writeNearestUpscaler(2, folder);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Linux with the CUDA provider library "installed": onnxruntime then fails to load it here (no GPU, no CUDA). */
const CUDA_FACTS: PlatformFacts = {
  platform: "linux",
  arch: "x64",
  backends: [
    { name: "cpu", bundled: true },
    { name: "cuda", bundled: false },
  ],
  cudaLibraryPresent: true,
};

function ramp(width: number, height: number): Float32Array {
  const data = new Float32Array(3 * width * height);
  for (let i = 0; i < data.length; i++) data[i] = (i % 97) / 96;
  return data;
}

function pool(options: Partial<InferencePoolOptions>): InferencePool {
  return new InferencePool({ resolveModelPath: () => MODELS.fp32, ...options });
}

describe("variants and fallback", () => {
  it("a GPU provider that cannot start runs the fp32 model on the CPU, not the variant, and says why", async () => {
    const asked: string[] = [];
    const cuda = pool({
      facts: CUDA_FACTS,
      provider: "cuda",
      resolveVariantPath: async (modelId, provider) => {
        asked.push(`${modelId}@${provider}`);
        return MODELS.variant;
      },
    });
    try {
      const input = ramp(5, 3);
      const first = await cuda.run("model", [{ data: input.slice(), dims: [1, 3, 3, 5] }]);
      expect(first.provider).toBe("cpu");
      expect(first.notice).toMatch(/^The cuda provider could not load the model \(.+\); ran on the CPU instead\.$/);
      expect(first.outputs.output.dims).toEqual([1, 3, 12, 20]);
      expect(Array.from(first.outputs.output.data)).toEqual(Array.from(nearestUpscale(input, 5, 3, 4)));
      await cuda.run("model", [{ data: input.slice(), dims: [1, 3, 3, 5] }]);
      expect(asked).toEqual(["model@cuda"]);
    } finally {
      await cuda.close();
    }
  });

  it("a variant that cannot be made leaves the fp32 model on the GPU provider, with a notice", async () => {
    const cuda = pool({
      facts: CUDA_FACTS,
      provider: "cuda",
      resolveVariantPath: async () => {
        throw new Error("disk full");
      },
    });
    try {
      const result = await cuda.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      // No CUDA here, so the CPU ran it; the fp32 file (×4, not the stand-in ×2 variant) ran.
      expect(result.provider).toBe("cpu");
      expect(result.outputs.output.dims).toEqual([1, 3, 8, 8]);
    } finally {
      await cuda.close();
    }
  });

  it("SessionHost: the GPU runs the variant; after its failure the CPU runs the fp32 file; the variant's notice is passed on", async () => {
    const created: string[] = [];
    const host = new SessionHost(recordingFactory(created, "dml"));
    const input = ramp(3, 3);
    const request = { modelPath: MODELS.variant, fallbackModelPath: MODELS.fp32, provider: "dml" as const, feeds: [{ data: input, dims: [1, 3, 3, 3] }] };
    const result = await host.run(request);
    expect(created).toEqual([`dml:${MODELS.variant}`, `cpu:${MODELS.fp32}`]);
    expect(result.provider).toBe("cpu");
    expect(result.outputs.output.dims).toEqual([1, 3, 12, 12]);
    const working = new SessionHost(recordingFactory([]));
    const noted = await working.run({ modelPath: MODELS.fp32, provider: "cpu", feeds: [{ data: ramp(1, 1), dims: [1, 3, 1, 1] }], notice: "why fp32" });
    expect(noted.notice).toBe("why fp32");
    await Promise.all([host.dispose(), working.dispose()]);
  });

  it("SessionHost: an fp16 variant that returns NaN (GTX 16xx) is replaced by the fp32 file on the same GPU, and stays replaced", async () => {
    const created: string[] = [];
    const host = new SessionHost(async (modelPath, provider) => {
      created.push(`${provider}:${modelPath}`);
      const value = modelPath === "model.fp16.onnx" ? NaN : 0.5;
      return {
        inputNames: ["input"],
        outputNames: ["output"],
        run: async () => ({ output: { data: new Float32Array(4).fill(value), dims: [1, 1, 2, 2] } }),
        release: async () => undefined,
      };
    });
    const request = { modelPath: "model.fp16.onnx", fallbackModelPath: "model.onnx", provider: "cuda" as const, feeds: [{ data: ramp(1, 1), dims: [1, 3, 1, 1] }] };
    const first = await host.run(request);
    const second = await host.run(request);
    for (const result of [first, second]) {
      expect(result.provider).toBe("cuda");
      expect(Array.from(result.outputs.output.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
      expect(result.notice).toBe("The cuda provider's fp16 model gave invalid values (NaN or infinity), as some GPUs do; ran the fp32 model instead.");
    }
    expect(created).toEqual(["cuda:model.fp16.onnx", "cuda:model.onnx"]);
    await host.dispose();
  });

  it("the CPU never asks for a variant", async () => {
    let asked = 0;
    const cpu = pool({ provider: "cpu", resolveVariantPath: async () => (asked++, MODELS.variant) });
    try {
      const result = await cpu.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      expect(result.outputs.output.dims).toEqual([1, 3, 8, 8]);
      expect(asked).toBe(0);
    } finally {
      await cpu.close();
    }
  });
});

describe("the manifest's variants, end to end", () => {
  it("a CUDA pool makes the fp16 file on first use, and its CPU fallback equals a CPU pool's fp32 result", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pu-model-dir-"));
    const model = findModel(loadManifest(), "realesrgan-x4fast");
    copyFileSync(modelPath(model.id), join(dir, model.onnx.file));
    const saved = process.env[MODEL_DIR_ENV];
    process.env[MODEL_DIR_ENV] = dir;
    const cuda = createInferencePool({ facts: CUDA_FACTS, provider: "cuda" });
    const cpu = createInferencePool({ provider: "cpu" });
    try {
      const input = ramp(12, 12);
      const viaCuda = await cuda.run(model.id, [{ data: input.slice(), dims: [1, 3, 12, 12] }]);
      const viaCpu = await cpu.run(model.id, [{ data: input.slice(), dims: [1, 3, 12, 12] }]);
      const variant = join(dir, "realesrgan-x4fast.fp16.onnx");
      expect(existsSync(variant)).toBe(true);
      expect(sha256Hex(readFileSync(variant))).toBe(model.variants?.[0].sha256);
      expect(viaCuda.provider).toBe("cpu");
      expect(Array.from(viaCuda.outputs.output.data)).toEqual(Array.from(viaCpu.outputs.output.data));
    } finally {
      await Promise.all([cuda.close(), cpu.close()]);
      if (saved === undefined) delete process.env[MODEL_DIR_ENV];
      else process.env[MODEL_DIR_ENV] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("device selection reaches the session options", () => {
  it.each([
    ["cpu", 3, ["cpu"]],
    ["cuda", 0, [{ name: "cuda", deviceId: 0 }]],
    ["cuda", 3, [{ name: "cuda", deviceId: 3 }]],
    ["dml", 1, [{ name: "dml", deviceId: 1 }]],
    ["coreml", 2, [{ name: "coreml", coreMlFlags: 0x010 }]],
    ["webgpu", 2, [{ name: "webgpu" }]],
  ] as const)("%s with --device %i", (provider, device, providers) => {
    const facts: PlatformFacts = { ...CUDA_FACTS, platform: provider === "dml" ? "win32" : provider === "coreml" ? "darwin" : "linux", arch: provider === "coreml" ? "arm64" : "x64", backends: [{ name: provider, bundled: true }, { name: "cpu", bundled: true }] };
    const chosen = pool({ facts, provider, device, intraOpThreads: 2, workerPath: "unused.js" });
    expect(chosen.workerSettings).toEqual({ intraOpThreads: 2, logSeverity: 3, device });
    expect(sessionOptions(chosen.provider, chosen.workerSettings)).toEqual({
      executionProviders: providers,
      graphOptimizationLevel: "all",
      intraOpNumThreads: 2,
      executionMode: "sequential",
      logSeverityLevel: 3,
      ...(provider === "dml" ? { enableMemPattern: false } : {}),
    });
  });

  it("rejects a device outside 0..64 with INVALID_OPTION", () => {
    expect(() => pool({ provider: "cpu", device: -1, workerPath: "unused.js" })).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });
});

describe("warm sessions", () => {
  it("stay warm between runs and are given back after idle time; the next run makes them again", async () => {
    const idle = pool({ provider: "cpu", idleReleaseMs: 300, pressureCheckMs: 60_000 });
    try {
      await idle.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      await idle.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      expect(idle.sessionsReleased).toBe(0);
      await waitFor(() => idle.sessionsReleased === 1);
      const again = await idle.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      expect(again.outputs.output.dims).toEqual([1, 3, 8, 8]);
    } finally {
      await idle.close();
    }
  });

  it("are given back when a job with another memory plan starts, and kept for the same plan", async () => {
    const jobs = pool({ provider: "cpu", idleReleaseMs: 60_000, pressureCheckMs: 60_000 });
    try {
      jobs.planJob("512² plan");
      const first = await jobs.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      jobs.planJob("512² plan");
      await jobs.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(jobs.sessionsReleased).toBe(0);
      jobs.planJob("1 MP plan");
      await waitFor(() => jobs.sessionsReleased === 1);
      const again = await jobs.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      expect(again.outputs.output.data).toEqual(first.outputs.output.data);
    } finally {
      await jobs.close();
    }
  });

  it("are given back early when memory is short, and not when it is not", async () => {
    let short = false;
    const pressed = pool({ provider: "cpu", idleReleaseMs: 60_000, pressureCheckMs: 100, memoryPressure: () => short });
    try {
      await pressed.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(pressed.sessionsReleased).toBe(0);
      short = true;
      await pressed.run("model", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
      await waitFor(() => pressed.sessionsReleased === 1);
    } finally {
      await pressed.close();
    }
  });
});

/** A real onnxruntime CPU factory that records what it was asked to create and fails for `failing`. */
function recordingFactory(created: string[], failing?: string): SessionFactory {
  return async (modelPath, provider) => {
    created.push(`${provider}:${modelPath}`);
    if (provider === failing) throw new Error(`${provider} is not available in this build`);
    const ort = await import("onnxruntime-node");
    const session = await ort.InferenceSession.create(modelPath);
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      async run(feeds) {
        const tensors = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, new ort.Tensor("float32", feed.data, feed.dims)]));
        const out = await session.run(tensors);
        return Object.fromEntries(Object.entries(out).map(([name, tensor]) => [name, { data: tensor.data as Float32Array, dims: tensor.dims }]));
      },
      release: () => session.release(),
    };
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(condition()).toBe(true);
}

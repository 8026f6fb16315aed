import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { nearestUpscale, writeNearestUpscaler } from "../../test/integration/support/tiny-models";
import { InferencePool } from "./pool";
import { currentPlatformFacts } from "./platform-facts";
import { SessionHost, type SessionFactory } from "./session-host";
import { tileRunner } from "./index";

// These tests start the bundled worker: `npm run build` first (the root `npm test` does).
const MODELS: Record<string, string> = {};
const modelFolder = mkdtempSync(join(tmpdir(), "pu-tiny-models-"));
beforeAll(() => {
  MODELS["nearest-x4"] = writeNearestUpscaler(4, modelFolder);
  MODELS["nearest-x2"] = writeNearestUpscaler(2, modelFolder);
});
afterAll(() => rmSync(modelFolder, { recursive: true, force: true }));

function resolveModelPath(id: string): string {
  return MODELS[id] ?? `/nonexistent/${id}.onnx`;
}

function ramp(width: number, height: number): Float32Array {
  const data = new Float32Array(3 * width * height);
  for (let i = 0; i < data.length; i++) data[i] = (i % 97) / 96;
  return data;
}

describe("InferencePool on the CPU", () => {
  const pool = new InferencePool({ provider: "cpu", resolveModelPath });
  afterAll(() => pool.close());

  it("runs a model in a worker and returns its outputs by name", async () => {
    const input = ramp(5, 3);
    const expected = nearestUpscale(input, 5, 3, 4);
    const result = await pool.run("nearest-x4", [{ data: input.slice(), dims: [1, 3, 3, 5] }]);
    expect(result.provider).toBe("cpu");
    expect(result.outputNames).toEqual(["output"]);
    expect(result.outputs.output.dims).toEqual([1, 3, 12, 20]);
    expect(Array.from(result.outputs.output.data)).toEqual(Array.from(expected));
  });

  it("keeps several models warm and queues concurrent requests", async () => {
    const inputs = [ramp(4, 4), ramp(6, 2), ramp(3, 7)];
    const results = await Promise.all(
      inputs.map((data, index) => {
        const [w, h] = [[4, 4], [6, 2], [3, 7]][index];
        return pool.run(index === 1 ? "nearest-x2" : "nearest-x4", { input: { data: data.slice(), dims: [1, 3, h, w] } });
      }),
    );
    expect(results[1].outputs.output.dims).toEqual([1, 3, 4, 12]);
    expect(Array.from(results[2].outputs.output.data)).toEqual(Array.from(nearestUpscale(inputs[2], 3, 7, 4)));
    expect(pool.stats().modelIds).toEqual(new Set(["nearest-x4", "nearest-x2"]));
  });

  it("gives a TileRunner for the tiled driver", async () => {
    const rgb = ramp(8, 6);
    const runner = tileRunner(pool, "nearest-x2");
    const expected = nearestUpscale(rgb, 8, 6, 2);
    const out = await runner({ width: 8, height: 6, data: rgb });
    expect([out.width, out.height]).toEqual([16, 12]);
    expect(Array.from(out.data)).toEqual(Array.from(expected));
    // Transferred, not copied: the driver hands each tile over for good.
    expect(rgb.length).toBe(0);
  });

  it("reports a missing model file as MODEL_MISSING", async () => {
    await expect(pool.run("absent", [])).rejects.toMatchObject({ code: "MODEL_MISSING" });
  });

  it("reports a wrong input as INFERENCE_FAILED and keeps working", async () => {
    await expect(pool.run("nearest-x4", [{ data: new Float32Array(8), dims: [1, 2, 2, 2] }])).rejects.toMatchObject({ code: "INFERENCE_FAILED" });
    const again = await pool.run("nearest-x4", [{ data: ramp(2, 2), dims: [1, 3, 2, 2] }]);
    expect(again.outputs.output.dims).toEqual([1, 3, 8, 8]);
  });

  it("cancels a queued request with CANCELLED", async () => {
    const controller = new AbortController();
    const first = pool.run("nearest-x4", [{ data: ramp(16, 16), dims: [1, 3, 16, 16] }]);
    const second = pool.run("nearest-x4", [{ data: ramp(16, 16), dims: [1, 3, 16, 16] }], { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(first).resolves.toMatchObject({ provider: "cpu" });
  });
});

describe("fallback to the CPU", () => {
  it("falls back when a forced GPU provider cannot create its session, and the result equals a CPU run", async () => {
    // webgpu is bundled on linux x64 but this machine has no GPU device; elsewhere the
    // injected factory below covers the same rule.
    const facts = currentPlatformFacts();
    if (!facts.backends.some((backend) => backend.name === "webgpu" && backend.bundled)) return;
    const gpu = new InferencePool({ provider: "webgpu", resolveModelPath });
    const cpu = new InferencePool({ provider: "cpu", resolveModelPath });
    try {
      const input = ramp(9, 7);
      const viaGpu = await gpu.run("nearest-x4", [{ data: input.slice(), dims: [1, 3, 7, 9] }]);
      const viaCpu = await cpu.run("nearest-x4", [{ data: input.slice(), dims: [1, 3, 7, 9] }]);
      if (viaGpu.provider === "webgpu") return; // a real GPU here: nothing to fall back from
      expect(viaGpu.provider).toBe("cpu");
      expect(viaGpu.notice).toMatch(/^The webgpu provider could not load the model \(.+\); ran on the CPU instead\.$/);
      expect(Array.from(viaGpu.outputs.output.data)).toEqual(Array.from(viaCpu.outputs.output.data));
    } finally {
      await Promise.all([gpu.close(), cpu.close()]);
    }
  });

  it("re-runs the same tensors on the CPU after a GPU run failure, and stays there", async () => {
    const calls: string[] = [];
    const factory: SessionFactory = async (modelPath, provider) => {
      const real = await ort.InferenceSession.create(modelPath);
      return {
        inputNames: real.inputNames,
        outputNames: real.outputNames,
        async run(feeds) {
          calls.push(provider);
          if (provider !== "cpu") throw new Error("Non-zero status code returned while running Conv node 'repeat'");
          const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor("float32", f.data, f.dims)]));
          const out = await real.run(tensors);
          return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { data: t.data as Float32Array, dims: t.dims }]));
        },
        release: () => real.release(),
      };
    };
    const host = new SessionHost(factory);
    const input = ramp(3, 3);
    const request = { modelPath: MODELS["nearest-x2"], provider: "cuda" as const, feeds: [{ data: input, dims: [1, 3, 3, 3] }] };
    const first = await host.run(request);
    expect(first.provider).toBe("cpu");
    expect(first.notice).toBe(
      "The cuda provider failed while running (Non-zero status code returned while running Conv node 'repeat'); ran on the CPU instead.",
    );
    expect(Array.from(first.outputs.output.data)).toEqual(Array.from(nearestUpscale(input, 3, 3, 2)));
    const second = await host.run(request);
    expect(second.provider).toBe("cpu");
    expect(calls).toEqual(["cuda", "cpu", "cpu"]);
    await host.dispose();
  });

  it("turns an allocation failure into OUT_OF_MEMORY instead of falling back", async () => {
    const host = new SessionHost(async () => {
      throw new Error("Failed to allocate memory for requested buffer of size 4294967296");
    });
    await expect(host.run({ modelPath: "x.onnx", provider: "dml", feeds: [] })).rejects.toMatchObject({ code: "OUT_OF_MEMORY" });
  });
});

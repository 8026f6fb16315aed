import { describe, expect, it } from "vitest";
import { createInferencePool } from "../inference/index";
import { countedPool } from "./model-runs";

const tile = (width: number, height: number) => ({ data: new Float32Array(3 * width * height).fill(0.5), dims: [1, 3, height, width] });

describe("countedPool", () => {
  it("counts each model's input pixels and run time, and changes nothing the pool returns", async () => {
    const pool = createInferencePool({ provider: "cpu" });
    try {
      const { pool: counted, runs } = countedPool(pool);
      expect(counted.provider).toBe(pool.provider);
      const direct = await pool.run("realesrgan-x4fast", [tile(8, 8)]);
      const asked = performance.now();
      const seen = await counted.run("realesrgan-x4fast", [tile(8, 8)]);
      const between = performance.now();
      await counted.run("realesrgan-x4fast", [tile(12, 10)]);
      expect(seen.outputs[seen.outputNames[0]].data).toEqual(direct.outputs[direct.outputNames[0]].data);
      expect([...runs.keys()]).toEqual(["realesrgan-x4fast"]);
      // The first run's time, not the last's.
      expect(runs.get("realesrgan-x4fast")!.firstAt).toBeGreaterThanOrEqual(asked);
      expect(runs.get("realesrgan-x4fast")!.firstAt).toBeLessThanOrEqual(between);
      expect(runs.get("realesrgan-x4fast")!.pixels).toBe(8 * 8 + 12 * 10);
      expect(runs.get("realesrgan-x4fast")!.ms).toBeGreaterThan(0);
      // Only `run` is observed: the pool's own totals still see every run.
      expect(counted.stats().runs).toBe(3);
    } finally {
      await pool.close();
    }
  });
});

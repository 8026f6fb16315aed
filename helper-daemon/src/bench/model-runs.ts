/**
 * Per-model time and pixels of a run that goes through the product's own path: the pool is
 * observed, not replaced, so the job's planned tiles, a split model's stage tiles and the
 * routing all decide what runs, exactly as for a user.
 */
import type { InferencePool } from "../inference/index";

/** One model's (or split stage's) share of a run. */
export interface ModelRuns {
  /** Milliseconds its sessions spent in `session.run` (the workers' own timing, no queueing). */
  ms: number;
  /** Input pixels of its runs (NCHW inputs: height × width; context included). */
  pixels: number;
  /** When its first run was asked for (`performance.now()`). */
  readonly firstAt: number;
}

/**
 * `pool` with every `run` counted in `runs`, by model id (a split model's stages apart). The
 * time is what the worker reports for `session.run`, so runs queued together are not counted
 * twice and the models' times add up to no more than the job's.
 * @example const { pool: counted, runs } = countedPool(pool); await upscalePortrait(image, counted, settings); runs.get("realesrgan-x4plus-trunk")
 */
export function countedPool(pool: InferencePool): { readonly pool: InferencePool; readonly runs: Map<string, ModelRuns> } {
  const runs = new Map<string, ModelRuns>();
  const run: InferencePool["run"] = async (modelId, feeds, options) => {
    const dims = (Array.isArray(feeds) ? feeds[0] : Object.values(feeds)[0])?.dims ?? [];
    const entry = runs.get(modelId) ?? { ms: 0, pixels: 0, firstAt: performance.now() };
    runs.set(modelId, entry);
    const result = await pool.run(modelId, feeds, options);
    entry.ms += result.inferenceMs;
    entry.pixels += dims.length === 4 ? dims[2] * dims[3] : 0;
    return result;
  };
  // A proxy rather than a subclass: the pool's workers and sessions stay the caller's, and
  // everything but `run` reaches the pool itself.
  const counted = new Proxy(pool, {
    get(target, property) {
      if (property === "run") return run;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { pool: counted, runs };
}

/**
 * Warm sessions: the first job on a model pays for creating its session; later jobs on the
 * same pool reuse it, until idle time or memory pressure gives it back (inference/pool.ts).
 */
import { median } from "../image/statistics";
import { createInferencePool } from "../inference/index";
import type { BenchSection } from "./section";

const MODELS = ["realesrgan-x4fast", "realesrgan-x4plus"];
const SIZE = 64;
const ROUNDS = 3;

async function timedRun(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

export const warmSessionsSection: BenchSection = {
  name: "warm-sessions",
  summary: `first job (session created) vs second job (warm) vs a job after the idle release, ${SIZE}² input, CPU, medians of ${ROUNDS}`,
  async run(context) {
    const rows: string[][] = [];
    for (const modelId of MODELS) {
      const times = { cold: [] as number[], warm: [] as number[], released: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const pool = createInferencePool({ provider: "cpu", idleReleaseMs: 200 });
        const job = (): Promise<unknown> => pool.run(modelId, [{ data: new Float32Array(3 * SIZE * SIZE).fill(0.5), dims: [1, 3, SIZE, SIZE] }]);
        try {
          times.cold.push(await timedRun(job));
          times.warm.push(await timedRun(job));
          while (pool.sessionsReleased === 0) await new Promise((resolve) => setTimeout(resolve, 50));
          times.released.push(await timedRun(job));
        } finally {
          await pool.close();
        }
      }
      const [cold, warm, released] = [median(times.cold), median(times.warm), median(times.released)];
      rows.push([modelId, cold.toFixed(2), warm.toFixed(2), released.toFixed(2), (cold / warm).toFixed(1)]);
    }
    context.table("job latency, seconds", ["model", "first job (cold)", "second job (warm)", "after idle release", "cold ÷ warm"], rows);
    context.note("The first job also starts the worker thread. The daemon keeps sessions for 10 minutes idle, or gives them back 5 s after its last job when less than 1 GiB is free.");
  },
};

/**
 * Peak resident memory of a 1024² → 4096² x4fast run, measured in a fresh process (the
 * high-water mark covers the worker threads, which share the process) so earlier sections
 * do not count. Goal: at most 1.5 GB.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInferencePool } from "../inference/index";
import { parseUpscaleSettings, planModel, upscaleImage } from "../upscale/index";
import type { BenchSection } from "./section";
import { installed, portrait } from "./fixtures";

/** The argument that makes bench.js run one measured upscale and print JSON. */
export const MEMORY_CHILD_FLAG = "--memory-child";

/** The child's work: one upscale, then its peak RSS. */
export async function runMemoryChild(size: number): Promise<void> {
  const image = await portrait(size);
  const pool = createInferencePool({ provider: "cpu" });
  const started = performance.now();
  const result = await upscaleImage(image, pool, parseUpscaleSettings({ model: "x4fast", scale: 4 }));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ size, out: result.image.width, tile: result.tile, seconds, peakBytes })}\n`);
}

export const memorySection: BenchSection = {
  name: "memory",
  summary: "Peak RSS (process with its workers) of x4fast 1024² → 4096²; --full adds 2048² → 8192².",
  async run(context) {
    if (!installed(planModel({ model: "x4fast", scale: 4 }).modelId)) {
      context.note("realesrgan-x4fast is not installed; skipped.");
      return;
    }
    const script = fileURLToPath(import.meta.url);
    const rows: string[][] = [];
    for (const size of context.full ? [1024, 2048] : [1024]) {
      const child = spawnSync(process.execPath, [script, MEMORY_CHILD_FLAG, String(size)], { encoding: "utf8" });
      if (child.status !== 0) {
        rows.push([`${size}²`, "-", "-", "-", `failed: ${child.stderr.trim().split("\n").pop() ?? ""}`]);
        continue;
      }
      const result = JSON.parse(child.stdout.trim().split("\n").pop()!);
      rows.push([
        `${size}² → ${result.out}²`,
        `${result.tile}²`,
        result.seconds.toFixed(1),
        (result.peakBytes / 1024 ** 3).toFixed(2),
        result.peakBytes <= 1.5 * 1024 ** 3 ? "ok (≤ 1.5 GB)" : "over 1.5 GB",
      ]);
    }
    context.table("Peak memory (x4fast, CPU)", ["case", "tile", "seconds", "peak RSS GB", "goal"], rows);
  },
};

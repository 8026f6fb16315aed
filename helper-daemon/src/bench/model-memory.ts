/**
 * Peak memory per input pixel of each model on the CPU provider: how the figures in
 * `models/manifest.json` (facts.memory.cpu.bytesPerTilePixel) were measured. Each run is one
 * whole-image `session.run` in a fresh process; the figure is the peak RSS minus the RSS after
 * session creation, divided by the input pixels (the high-water mark covers onnxruntime's arena).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { modelFacts, modelPath } from "@portrait-upscale/models";
import { openBareSession } from "../inference/baseline";
import type { BenchSection } from "./section";
import { installed, portrait } from "./fixtures";

/** The argument that makes bench.js measure one model run and print JSON. */
export const MODEL_MEMORY_CHILD_FLAG = "--model-memory-child";

/** The child's work: one whole-image run of `modelId` at `size`², then its memory figures. */
export async function runModelMemoryChild(modelId: string, size: number): Promise<void> {
  const image = await portrait(size);
  const session = await openBareSession(modelPath(modelId));
  const afterSession = process.resourceUsage().maxRSS * 1024;
  await session.time(image.rgb, [1, 3, size, size]);
  const peak = process.resourceUsage().maxRSS * 1024;
  await session.release();
  process.stdout.write(`${JSON.stringify({ modelId, size, afterSession, peak, bytesPerPixel: (peak - afterSession) / (size * size) })}\n`);
}

export const modelMemorySection: BenchSection = {
  name: "model-memory",
  summary: "Peak bytes per input pixel of one whole-image run per model (CPU, fresh process), against the manifest; --full adds 192².",
  async run(context) {
    const script = fileURLToPath(import.meta.url);
    const rows: string[][] = [];
    const facts = modelFacts();
    for (const id of ["realesrgan-x4fast", "esrgan-thick-x2", "esrgan-thick-x4", "realesrgan-x4plus"]) {
      if (!installed(id)) {
        rows.push([id, "-", "-", "-", "not installed"]);
        continue;
      }
      for (const size of context.full ? [64, 128, 192] : [64, 128]) {
        const child = spawnSync(process.execPath, [script, MODEL_MEMORY_CHILD_FLAG, id, String(size)], { encoding: "utf8" });
        if (child.status !== 0) {
          rows.push([id, `${size}²`, "-", "-", `failed: ${child.stderr.trim().split("\n").pop() ?? ""}`]);
          continue;
        }
        const result = JSON.parse(child.stdout.trim().split("\n").pop()!);
        const manifest = facts.byId(id).memory("cpu").bytesPerTilePixel;
        rows.push([id, `${size}²`, (result.peak / 1024 ** 2).toFixed(0), (result.bytesPerPixel / 1000).toFixed(2), (manifest / 1000).toFixed(2)]);
      }
    }
    context.table("Peak memory per input pixel (CPU)", ["model", "input", "peak RSS MiB", "kB per input pixel", "manifest kB"], rows);
  },
};

/**
 * Peak memory per input pixel of each model on the CPU provider: how the figures in
 * `models/manifest.json` (facts.memory.cpu.bytesPerTilePixel) were measured. Each run is one
 * whole-image `session.run` in a fresh process; the figure is the peak RSS minus the RSS after
 * session creation, divided by the input pixels (the high-water mark covers onnxruntime's arena).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findStage, loadManifest, modelFacts, modelPath } from "@portrait-upscale/models";
import { openBareSession } from "../inference/baseline";
import type { BenchSection } from "./section";
import { installed, portrait } from "./fixtures";

/** The argument that makes bench.js measure one model run and print JSON. */
export const MODEL_MEMORY_CHILD_FLAG = "--model-memory-child";

/** The child's work: one whole-image run of `modelId` at `size`², then its memory figures. */
export async function runModelMemoryChild(modelId: string, size: number): Promise<void> {
  const channels = measured(modelId).inputChannels;
  // A split model's later stage takes feature planes: a deterministic pattern of the right shape.
  const input = channels === 3 ? (await portrait(size)).rgb : Float32Array.from({ length: channels * size * size }, (_, i) => 0.5 + 0.5 * Math.sin(i * 0.37));
  const session = await openBareSession(modelPath(modelId));
  const afterSession = process.resourceUsage().maxRSS * 1024;
  await session.time(input, [1, channels, size, size]);
  const peak = process.resourceUsage().maxRSS * 1024;
  await session.release();
  process.stdout.write(`${JSON.stringify({ modelId, size, afterSession, peak, bytesPerPixel: (peak - afterSession) / (size * size) })}\n`);
}

/** A model's or a split model's stage's input channels and manifest memory per pixel (CPU). */
function measured(id: string): { readonly inputChannels: number; readonly bytesPerTilePixel: number } {
  const stage = findStage(loadManifest(), id)?.stage;
  if (stage !== undefined) return { inputChannels: stage.inputChannels, bytesPerTilePixel: stage.memory.cpu.bytesPerTilePixel };
  return { inputChannels: 3, bytesPerTilePixel: modelFacts().byId(id).memory("cpu").bytesPerTilePixel };
}

export const modelMemorySection: BenchSection = {
  name: "model-memory",
  summary: "Peak bytes per input pixel of one whole-image run per model and per stage of a split model (CPU, fresh process), against the manifest; --full adds 192².",
  async run(context) {
    const script = fileURLToPath(import.meta.url);
    const rows: string[][] = [];
    const split = modelFacts().byId("realesrgan-x4plus").stages ?? [];
    for (const id of ["realesrgan-x4fast", "esrgan-thick-x2", "esrgan-thick-x4", "realesrgan-x4plus", ...split.map((stage) => stage.id)]) {
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
        const manifest = measured(id).bytesPerTilePixel;
        rows.push([id, `${size}²`, (result.peak / 1024 ** 2).toFixed(0), (result.bytesPerPixel / 1000).toFixed(2), (manifest / 1000).toFixed(2)]);
      }
    }
    context.table("Peak memory per input pixel (CPU)", ["model", "input", "peak RSS MiB", "kB per input pixel", "manifest kB"], rows);
  },
};

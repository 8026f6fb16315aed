/**
 * The tiled service against a bare whole-image `session.run` on the same pixels, and how time
 * grows with size (issue goals: ≤ 1.10× bare at 256² and 512², ≤ 1.25× on a large image under a
 * memory budget that forces tiling). A and B run interleaved in this process, medians quoted.
 * Bare runs that would not fit in memory (large images) are projected from the bare seconds
 * per megapixel measured at the largest size that fits: the models are fully convolutional.
 */
import { modelFacts, modelPath } from "@portrait-upscale/models";
import { openBareSession } from "../inference/baseline";
import { createInferencePool } from "../inference/index";
import { parseUpscaleSettings, upscaleImage, type ModelChoice } from "../upscale/index";
import { needsTiling, planStageTiles } from "../tiling/stage-plan";
import type { BenchSection } from "./section";
import { median } from "../image/statistics";
import { installed, portrait } from "./fixtures";

interface ScalingCase {
  readonly model: ModelChoice;
  readonly size: number;
  /** A memory budget for the service run (forces tiling when small). */
  readonly budget?: string;
  /** Bare run on the whole image; otherwise projected from `bareFrom`'s seconds per MP. */
  readonly bare: boolean;
  readonly runs: number;
}

/** Default: minutes, not hours, on two cores (x4plus is about 100 s per input MP there). */
const DEFAULT_CASES: readonly ScalingCase[] = [
  { model: "x4plus", size: 256, bare: true, runs: 3 },
  { model: "x4fast", size: 512, bare: true, runs: 3 },
  { model: "x4fast", size: 1024, bare: true, runs: 1 },
  { model: "x4fast", size: 1024, budget: "256M", bare: true, runs: 1 },
  { model: "x4fast", size: 2048, budget: "1G", bare: false, runs: 1 },
  { model: "x4plus", size: 512, bare: true, runs: 1 },
];
/**
 * `--full`: x4plus on 4 MP under 3 GiB (the default budget of a 12 GB machine), which forces
 * tiling: the whole model would need ~67 GB, so it is split into trunk windows and tail tiles
 * (the table shows them). About 8 minutes on a quiet 2-core machine.
 */
const FULL_CASES: readonly ScalingCase[] = [{ model: "x4plus", size: 2048, budget: "3G", bare: false, runs: 1 }];

export const scalingSection: BenchSection = {
  name: "scaling",
  summary: "upscale --model (worker, tiles, blend) vs bare whole-image session.run on the same pixels, 0.25–4 MP, and a 24 MP projection (CPU).",
  async run(context) {
    const pool = createInferencePool({ provider: "cpu" });
    const rows: string[][] = [];
    const barePerMp = new Map<string, number>();
    const bareCpuPerMp = new Map<string, number>();
    try {
      for (const item of [...DEFAULT_CASES, ...(context.full ? FULL_CASES : [])]) {
        const settings = parseUpscaleSettings({ model: item.model, scale: 4, ...(item.budget ? { memoryBudget: item.budget } : {}) });
        const modelId = modelFacts().forChoice(item.model, 4).id;
        if (!installed(modelId)) {
          rows.push([modelId, `${item.size}²`, "-", "-", "-", "-", "-", "-", "not installed"]);
          continue;
        }
        const image = await portrait(item.size);
        const megapixels = (item.size * item.size) / 1e6;
        const bare = item.bare ? await openBareSession(modelPath(modelId)) : undefined;
        const bareTimes: number[] = [];
        const bareCpu: number[] = [];
        const serviceTimes: number[] = [];
        const serviceCpu: number[] = [];
        let tile = 0;
        try {
          for (let run = 0; run < item.runs; run++) {
            // CPU seconds of the whole process (the workers' threads included): fairer than wall time on a shared machine.
            let cpu = process.cpuUsage();
            if (bare) {
              bareTimes.push((await bare.time(image.rgb, [1, 3, item.size, item.size])) / 1000);
              bareCpu.push(cpuSeconds(process.cpuUsage(cpu)));
            }
            cpu = process.cpuUsage();
            const started = performance.now();
            const result = await upscaleImage(image, pool, settings);
            serviceTimes.push((performance.now() - started) / 1000);
            serviceCpu.push(cpuSeconds(process.cpuUsage(cpu)));
            tile = result.tile;
          }
        } finally {
          await bare?.release();
        }
        const service = median(serviceTimes);
        if (bare) {
          barePerMp.set(item.model, median(bareTimes) / megapixels);
          bareCpuPerMp.set(item.model, median(bareCpu) / megapixels);
        }
        const perMp = barePerMp.get(item.model);
        const bareSeconds = bare ? median(bareTimes) : perMp !== undefined ? perMp * megapixels : undefined;
        const cpuPerMp = bareCpuPerMp.get(item.model);
        const bareCpuSeconds = bare ? median(bareCpu) : cpuPerMp !== undefined ? cpuPerMp * megapixels : undefined;
        const ratio = bareSeconds !== undefined ? service / bareSeconds : undefined;
        const cpuRatio = bareCpuSeconds !== undefined ? median(serviceCpu) / bareCpuSeconds : undefined;
        const row = [
          modelId,
          `${item.size}² (${megapixels.toFixed(2)} MP)`,
          tilesOf(modelId, item.size, tile),
          bareSeconds === undefined ? "-" : `${bareSeconds.toFixed(1)}${bare ? "" : " (projected)"}`,
          service.toFixed(1),
          ratio === undefined ? "-" : `${ratio.toFixed(2)}×`,
          cpuRatio === undefined ? "-" : `${cpuRatio.toFixed(2)}×`,
          (service / megapixels).toFixed(1),
          `${((service / megapixels) * 24 / 60).toFixed(1)} min`,
        ];
        rows.push(row);
        // Rows as they finish: a slow machine still shows what was measured.
        context.note(`  ${row.join(" | ")}`);
      }
    } finally {
      await pool.close();
    }
    context.table(
      "Service vs bare session.run, ×4, CPU (median; goal ≤ 1.10× untiled, ≤ 1.25× tiled)",
      ["model", "input", "tiles", "bare s", "service s", "ratio", "CPU-time ratio", "service s/MP", "24 MP projected"],
      rows,
    );
    context.note("GPU providers: not measured (no GPU on this machine); see docs/architecture.md for the expected figures.");
  },
};

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

/** "untiled", "tile N", or for a split model the stages' tiles (as the driver plans them). */
function tilesOf(modelId: string, size: number, tile: number): string {
  const model = modelFacts().byId(modelId);
  if (!needsTiling(size, size, tile, model.context)) return "untiled";
  if (model.stages === undefined || !model.stages.every((stage) => installed(stage.id))) return `tile ${tile}`;
  const tiles = planStageTiles({
    width: size,
    height: size,
    wholeTile: tile,
    whole: { ...model.memory("cpu"), context: model.context },
    stages: model.stages.map((stage) => ({ ...stage.memory("cpu"), context: stage.context })),
  });
  return `split: ${model.stages.map((stage, k) => `${stage.id.split("-").pop()} ${tiles[k] >= size ? "untiled" : tiles[k]}`).join(", ")}`;
}

/**
 * The pipeline against a bare `session.run` on the same pixels: the tiles the layout sends,
 * run one by one on the calling thread, versus the service (worker, transfers, tile
 * extraction and blending, alpha, resampling). Goal: at most +10 %.
 */
import { modelPath } from "@portrait-upscale/models";
import { openBareSession } from "../inference/baseline";
import { createInferencePool } from "../inference/index";
import { cropPlanes } from "../image/crop";
import { createTileLayout } from "../tiling/tile-layout";
import { parseUpscaleSettings, planModel, upscaleImage } from "../upscale/index";
import type { BenchSection } from "./section";
import { median } from "../image/statistics";
import { installed, portrait } from "./fixtures";

const RUNS = 3;

export const overheadSection: BenchSection = {
  name: "overhead",
  summary: "Service pipeline vs bare session.run on the same tiles (x4fast, median of 3).",
  async run(context) {
    const settingsList = [
      { label: "256², one tile", size: 256, tile: 256 },
      { label: "384², tiles of 128", size: 384, tile: 128 },
    ];
    const plan = planModel(parseUpscaleSettings({ model: "x4fast", scale: 4 }));
    if (!installed(plan.modelId)) {
      context.note(`${plan.modelId} is not installed; skipped.`);
      return;
    }
    const rows: string[][] = [];
    const bare = await openBareSession(modelPath(plan.modelId));
    const pool = createInferencePool({ provider: "cpu" });
    try {
      for (const { label, size, tile } of settingsList) {
        const image = await portrait(size);
        const settings = parseUpscaleSettings({ model: "x4fast", scale: 4, tile });
        const layout = createTileLayout({ width: size, height: size, tile, context: plan.context, scale: 4 });
        const windows = layout.tiles.map((t) => ({
          data: cropPlanes(image.rgb, size, size, 3, { x: t.input.x, y: t.input.y, width: t.input.width, height: t.input.height }),
          dims: [1, 3, t.input.height, t.input.width],
        }));
        // Warm both paths (session creation, first shapes).
        await bare.time(windows[0].data, windows[0].dims);
        await upscaleImage(image, pool, settings);
        const bareTimes: number[] = [];
        const pipelineTimes: number[] = [];
        const workerTimes: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          let sum = 0;
          for (const window of windows) sum += await bare.time(window.data, window.dims);
          bareTimes.push(sum);
          const started = performance.now();
          const result = await upscaleImage(image, pool, settings);
          pipelineTimes.push(performance.now() - started);
          workerTimes.push(result.inferenceMs);
        }
        const b = median(bareTimes);
        const p = median(pipelineTimes);
        const w = median(workerTimes);
        const percent = (value: number, base: number) => `${(((value - base) / base) * 100).toFixed(1)} %`;
        rows.push([label, String(layout.tiles.length), (b / 1000).toFixed(2), (p / 1000).toFixed(2), (w / 1000).toFixed(2), percent(p, b), percent(p, w)]);
      }
    } finally {
      await Promise.all([bare.release(), pool.close()]);
    }
    context.table(
      "Pipeline overhead (x4fast, CPU)",
      ["case", "tiles", "bare run s", "pipeline s", "its session.run s", "vs bare", "vs its own runs"],
      rows,
    );
    context.note(
      "\"vs its own runs\" compares the pipeline with the session.run time inside it (same thread, same moment): " +
        "it stays meaningful when other processes load the machine, which makes the bare comparison noisy.",
    );
  },
};

/** Seconds per input megapixel for each model at several tile sizes, through the whole service path. */
import { createInferencePool } from "../inference/index";
import { parseUpscaleSettings, planModel, upscaleImage, type ModelChoice } from "../upscale/index";
import { createTileLayout } from "../tiling/tile-layout";
import type { BenchSection } from "./section";
import { installed, portrait } from "./fixtures";

/** Input sizes keep each model's run to a few seconds on two cores. */
const CASES: { model: ModelChoice; size: number; tiles: number[]; fullTiles?: number[] }[] = [
  { model: "x4fast", size: 256, tiles: [64, 128, 256], fullTiles: [512] },
  { model: "thick", size: 128, tiles: [64, 128], fullTiles: [256] },
  { model: "x4plus", size: 128, tiles: [64, 128], fullTiles: [256] },
];

export const throughputSection: BenchSection = {
  name: "throughput",
  summary: "Seconds per input megapixel, per model and tile size (CPU, ×4, one warm-up run each).",
  async run(context) {
    const pool = createInferencePool({ provider: "cpu" });
    const rows: string[][] = [];
    try {
      for (const { model, size, tiles, fullTiles } of CASES) {
        const settings = parseUpscaleSettings({ model, scale: 4 });
        const plan = planModel(settings);
        if (!installed(plan.modelId)) {
          rows.push([plan.modelId, `${size}²`, "-", "-", "-", "not installed"]);
          continue;
        }
        const image = await portrait(size);
        // Warm-up: session creation and first-shape costs are not throughput.
        await upscaleImage(image, pool, parseUpscaleSettings({ model, scale: 4, tile: Math.min(size, 64) }));
        for (const tile of [...tiles, ...(context.full ? (fullTiles ?? []) : [])]) {
          const layout = createTileLayout({ width: size, height: size, tile, context: plan.context, scale: 4 });
          const started = performance.now();
          const result = await upscaleImage(image, pool, parseUpscaleSettings({ model, scale: 4, tile }));
          const seconds = (performance.now() - started) / 1000;
          const megapixels = (size * size) / 1e6;
          const sentPixels = layout.tiles.reduce((sum, t) => sum + t.input.width * t.input.height, 0);
          rows.push([
            plan.modelId,
            `${size}²`,
            `${layout.tileWidth}² ×${layout.tiles.length}`,
            (seconds / megapixels).toFixed(1),
            (result.inferenceMs / 1000 / megapixels).toFixed(1),
            `${((sentPixels / (size * size) - 1) * 100).toFixed(0)} %`,
          ]);
        }
      }
    } finally {
      await pool.close();
    }
    context.table("Throughput (s per input MP)", ["model", "input", "tiles", "total s/MP", "inference s/MP", "overlap extra pixels"], rows);
  },
};

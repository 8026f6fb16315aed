/**
 * x4plus tiled equals x4plus untiled within 2/255, with the overlap the product uses for it.
 * x4plus (a 23-block RRDB net) sees far: a tile's output differs from the untiled one by more
 * than 2/255 up to about 50 input pixels from the tile's edge, so its tiles overlap by 96.
 * A strip keeps this affordable on a CPU (three 171-px windows, seams only between columns);
 * the middle seam has real neighbours on both sides, as in any large image.
 */
import { afterAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { upscaleTiled } from "../../src/engine/upscale-tiled";
import { createInferencePool, tileRunner } from "../../src/inference/index";
import { createTileLayout } from "../../src/tiling/tile-layout";
import { planModel } from "../../src/upscale/settings";
import type { RgbImage } from "../../src/image/image";
import { fixture, maxAbsDiff, pixels } from "./support/images";

const pool = createInferencePool({ provider: "cpu" });
afterAll(() => pool.close());

function clamped(image: RgbImage): Float32Array {
  return image.rgb.map((v) => Math.min(1, Math.max(0, v)));
}

describe("x4plus seams", () => {
  it(
    "a tiled result (interior seams, the model's overlap) equals the untiled one within 2/255",
    async () => {
      const plan = planModel({ model: "x4plus", scale: 4 });
      expect(plan.overlap).toBe(96);
      // Hair, forehead and eyes of the astronaut: the strongest texture of the fixture.
      const strip = await sharp(fixture("astronaut.png")).extract({ left: 120, top: 60, width: 224, height: 48 }).png().toBuffer();
      const input = await pixels(strip);
      const maxTile = 192;
      const layout = createTileLayout({ width: input.width, height: input.height, maxTile, overlap: plan.overlap, scale: 4 });
      // Three columns; the middle window starts inside the image, so its seams are interior ones.
      expect(layout.columns.map((c) => [c.inputStart, c.inputSize])).toEqual([
        [0, 171],
        [26, 171],
        [53, 171],
      ]);
      expect(layout.overlap).toBe(96);
      const runTile = tileRunner(pool, plan.modelId);
      const tiled = await upscaleTiled(input, runTile, { scale: 4, maxTile, overlap: plan.overlap });
      const whole = await upscaleTiled(input, runTile, { scale: 4, maxTile: 256 });
      expect(maxAbsDiff(clamped(tiled), clamped(whole)) * 255).toBeLessThanOrEqual(2);
    },
    300_000,
  );
});

/**
 * x4plus split into its trunk and its upsampling tail (manifest `facts.split`), with the real
 * stage files: the stages run untiled equal the whole model within 1/255, and tiled (each on
 * its own tiles, with its own context, also after out-of-memory halving) within 2/255 of the
 * untiled whole model. A strip of the astronaut's hair and eyes keeps this affordable on a CPU.
 */
import { afterAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { PortraitError } from "@portrait-upscale/shared";
import { upscaleTiled, type SplitRunner, type TileRunner, type UpscaleNotice } from "../../src/tiling/tiled-upscale";
import { createInferencePool, tileRunner } from "../../src/inference/index";
import type { RgbImage } from "../../src/image/image";
import { fixture, maxAbsDiff, pixels } from "./support/images";

const pool = createInferencePool({ provider: "cpu" });
afterAll(() => pool.close());

const UNTILED = 4096;
/** Any tile below the strip's width forces the split path (the whole model would be tiled). */
const FORCE_SPLIT = 32;

function clamped(image: RgbImage): Float32Array {
  return image.rgb.map((v) => Math.min(1, Math.max(0, v)));
}

async function strip(width: number, height: number): Promise<RgbImage> {
  return pixels(await sharp(fixture("astronaut.png")).extract({ left: 120, top: 60, width, height }).png().toBuffer());
}

/** The real runner, with its stages wrapped so that windows above `limits[k]` pixels fail as out of memory. */
function limited(runTile: TileRunner, limits: readonly number[], seen: string[][]): TileRunner {
  const split = runTile.split!;
  const stages = split.stages.map((stage, k) => ({
    ...stage,
    runTile: async (tile: Parameters<TileRunner>[0], signal?: AbortSignal) => {
      seen[k].push(`${tile.width}×${tile.height}`);
      if (tile.width * tile.height > limits[k]) throw new PortraitError("OUT_OF_MEMORY", undefined, { provider: "test" });
      return stage.runTile(tile, signal);
    },
  }));
  const wrapped: SplitRunner = { memory: split.memory, stages };
  return Object.assign((tile: Parameters<TileRunner>[0], signal?: AbortSignal) => runTile(tile, signal), { context: runTile.context, split: wrapped });
}

describe("x4plus split: trunk then tail", () => {
  const runTile = tileRunner(pool, "realesrgan-x4plus");
  let whole: Float32Array | undefined;
  const input = strip(200, 32);
  const untiledWhole = async () => (whole ??= clamped(await upscaleTiled(await input, runTile, { scale: 4, maxTile: UNTILED })));

  it("the manifest's stages are installed and carry their own context", () => {
    expect(runTile.split?.stages.map((stage) => [stage.scale, stage.inputChannels, stage.outputChannels, stage.context])).toEqual([
      [1, 3, 64, 64],
      [4, 64, 3, 4],
    ]);
  });

  it("untiled stages equal the whole model within 1/255", async () => {
    const split = await upscaleTiled(await input, runTile, { scale: 4, maxTile: FORCE_SPLIT, stageTiles: [UNTILED, UNTILED] });
    expect(maxAbsDiff(clamped(split), await untiledWhole()) * 255).toBeLessThanOrEqual(1);
  }, 600_000);

  it.each([
    [[32, 32]],
    [[64, 16]],
  ])("stage tiles %j equal the untiled whole model within 2/255", async (stageTiles) => {
    const split = await upscaleTiled(await input, runTile, { scale: 4, maxTile: FORCE_SPLIT, stageTiles });
    expect(maxAbsDiff(clamped(split), await untiledWhole()) * 255).toBeLessThanOrEqual(2);
  }, 600_000);

  it("after simulated out-of-memory failures in both stages: halved tiles, whole contexts, same result", async () => {
    const seen: string[][] = [[], []];
    const notices: UpscaleNotice[] = [];
    // The "device" holds 160×32 trunk pixels and 48×32 tail pixels.
    const runner = limited(runTile, [160 * 32, 48 * 32], seen);
    const split = await upscaleTiled(await input, runner, { scale: 4, maxTile: FORCE_SPLIT, minTile: 8, stageTiles: [UNTILED, UNTILED], onNotice: (n) => notices.push(n) });
    expect(notices.map((n) => [n.data.from, n.data.to])).toEqual([
      [200, 100],
      [100, 50],
      [50, 25],
      [200, 100],
      [100, 50],
      [50, 25],
    ]);
    expect(seen[0].at(-1)).toBe(`${25 + 2 * 64}×32`);
    expect(seen[1].at(-1)).toBe(`${25 + 2 * 4}×32`);
    expect(maxAbsDiff(clamped(split), await untiledWhole()) * 255).toBeLessThanOrEqual(2);
  }, 600_000);
});

/**
 * Tiled equals untiled within 2/255 with real models, at several tile sizes including 32 and
 * after out-of-memory halving: a tile is the part kept, and the model's context (from the
 * manifest) is always added around it. x4plus (a 23-block RRDB net) sees far: its output
 * differs from the untiled one by more than 2/255 up to about 52 input pixels from a window's
 * edge, so its context is 64 (the crossfade keeps used pixels 56 px or more from an edge).
 * Strips keep this affordable on a CPU; their interior seams have real neighbours on both sides.
 */
import { afterAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { modelFacts } from "@portrait-upscale/models";
import { PortraitError } from "@portrait-upscale/shared";
import { upscaleTiled, type TileRunner, type UpscaleNotice } from "../../src/tiling/tiled-upscale";
import { createInferencePool, tileRunner } from "../../src/inference/index";
import { createTileLayout } from "../../src/tiling/tile-layout";
import type { RgbImage } from "../../src/image/image";
import { fixture, maxAbsDiff, pixels } from "./support/images";

const pool = createInferencePool({ provider: "cpu" });
afterAll(() => pool.close());

function clamped(image: RgbImage): Float32Array {
  return image.rgb.map((v) => Math.min(1, Math.max(0, v)));
}

/** Hair, forehead and eyes of the astronaut: the strongest texture of the fixture. */
async function strip(width: number, height: number): Promise<RgbImage> {
  return pixels(await sharp(fixture("astronaut.png")).extract({ left: 120, top: 60, width, height }).png().toBuffer());
}

const UNTILED = 4096;

describe("x4fast: tiled = untiled", () => {
  const context = modelFacts().byId("realesrgan-x4fast").context;

  it.each([32, 48, 64])("tile %i with the model's context", async (tile) => {
    const input = await strip(160, 72);
    const runTile = tileRunner(pool, "realesrgan-x4fast");
    expect(runTile.context).toBe(context);
    const layout = createTileLayout({ width: input.width, height: input.height, tile, context, scale: 4 });
    expect(layout.tiles.length).toBeGreaterThan(1);
    const tiled = await upscaleTiled(input, runTile, { scale: 4, maxTile: tile });
    const whole = await upscaleTiled(input, runTile, { scale: 4, maxTile: UNTILED });
    expect(maxAbsDiff(clamped(tiled), clamped(whole)) * 255).toBeLessThanOrEqual(2);
  }, 300_000);

  it("after simulated out-of-memory failures: halved tiles, whole context, same result", async () => {
    const input = await strip(160, 72);
    const real = tileRunner(pool, "realesrgan-x4fast");
    const seen: string[] = [];
    // The "device" holds at most 72×72 input pixels: the whole strip and two halvings fail.
    const limited: TileRunner = Object.assign(
      async (tile: Parameters<TileRunner>[0], signal?: AbortSignal) => {
        seen.push(`${tile.width}×${tile.height}`);
        if (tile.width * tile.height > 72 * 72) throw new PortraitError("OUT_OF_MEMORY", undefined, { provider: "test" });
        return real(tile, signal);
      },
      { context: real.context },
    );
    const notices: UpscaleNotice[] = [];
    const tiled = await upscaleTiled(input, limited, { scale: 4, maxTile: UNTILED, minTile: 8, onNotice: (n) => notices.push(n) });
    expect(notices.map((n) => [n.data.from, n.data.to])).toEqual([
      [160, 80],
      [80, 40],
      [40, 20],
    ]);
    // The last windows: kept parts of 20×18 px (72 rows in 4 even cores) with the whole context on every side.
    expect(seen.at(-1)).toBe(`${20 + 2 * context}×${18 + 2 * context}`);
    const whole = await upscaleTiled(input, real, { scale: 4, maxTile: UNTILED });
    expect(maxAbsDiff(clamped(tiled), clamped(whole)) * 255).toBeLessThanOrEqual(2);
  }, 300_000);
});

describe("x4plus: tiled = untiled", () => {
  it("tile 32 with the model's context (64)", async () => {
    const input = await strip(200, 32);
    const runTile = tileRunner(pool, "realesrgan-x4plus");
    expect(runTile.context).toBe(64);
    const layout = createTileLayout({ width: input.width, height: input.height, tile: 32, context: 64, scale: 4 });
    // Interior windows start inside the image, so their seams are interior ones.
    expect(layout.columns.length).toBe(7);
    expect(layout.columns.some((c) => c.inputStart > 0 && c.inputStart + c.inputSize < input.width)).toBe(true);
    // The whole model tiled, not its stages (split-equals-whole.test.ts covers those).
    const unsplit: TileRunner = Object.assign((tile: Parameters<TileRunner>[0], signal?: AbortSignal) => runTile(tile, signal), { context: runTile.context });
    const tiled = await upscaleTiled(input, unsplit, { scale: 4, maxTile: 32 });
    const whole = await upscaleTiled(input, runTile, { scale: 4, maxTile: UNTILED });
    expect(maxAbsDiff(clamped(tiled), clamped(whole)) * 255).toBeLessThanOrEqual(2);
  }, 600_000);
});

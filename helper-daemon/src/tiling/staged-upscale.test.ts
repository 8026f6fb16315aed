/**
 * The split path of the tiled driver with stand-in stages: a 1× stage that turns RGB into 4
 * feature planes through a 5×5 neighbourhood (zero padding at a window's edge, as a convolution
 * pads), then a ×2 stage back to RGB through a 3×3 one. With contexts that cover what each stage
 * sees, the tiled result equals one untiled run of the two stages exactly.
 */
import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { createRgbImage, type RgbImage } from "../image/image";
import { stageWeights, upscaleTiled, type SplitRunner, type TilePixels, type TileRunner, type UpscaleNotice } from "./tiled-upscale";

/** A stand-in stage: each output channel a nonlinear mix of the input channels over a (2r+1)² neighbourhood, then nearest ×scale. */
function stage(inputChannels: number, outputChannels: number, radius: number, scale: number): (tile: TilePixels) => TilePixels {
  return ({ data, width, height, channels }) => {
    expect(channels ?? 3).toBe(inputChannels);
    const plane = width * height;
    const ow = width * scale;
    const out = new Float32Array(outputChannels * ow * height * scale);
    for (let o = 0; o < outputChannels; o++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          let sum = 0;
          for (let c = 0; c < inputChannels; c++) {
            for (let dy = -radius; dy <= radius; dy++) {
              for (let dx = -radius; dx <= radius; dx++) {
                const yy = y + dy;
                const xx = x + dx;
                if (yy >= 0 && yy < height && xx >= 0 && xx < width) sum += data[c * plane + yy * width + xx] * (((o + 1) * (c + 2) + dx * 3 + dy) % 7) * 0.02;
              }
            }
          }
          const value = Math.tanh(sum);
          for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) out[o * ow * height * scale + (y * scale + sy) * ow + x * scale + sx] = value;
        }
      }
    }
    return { data: out, width: ow, height: height * scale, ...(outputChannels !== 3 ? { channels: outputChannels } : {}) };
  };
}

const trunkModel = stage(3, 4, 2, 1);
const tailModel = stage(4, 3, 1, 2);

interface Recorded {
  readonly runner: TileRunner;
  readonly windows: string[];
}

/** A runner around a stand-in, recording each window; throws OUT_OF_MEMORY above `limit` pixels. */
function recorded(model: (tile: TilePixels) => TilePixels, limit = Infinity): Recorded {
  const windows: string[] = [];
  const runner: TileRunner = async (tile) => {
    windows.push(`${tile.width}×${tile.height}`);
    if (tile.width * tile.height > limit) throw new PortraitError("OUT_OF_MEMORY", undefined, { provider: "test" });
    return model(tile);
  };
  return { runner, windows };
}

function splitModel(trunk: Recorded, tail: Recorded): SplitRunner {
  return {
    memory: { bytesPerTilePixel: 16_000, fixedBytes: 0 },
    stages: [
      { runTile: trunk.runner, scale: 1, inputChannels: 3, outputChannels: 4, context: 4, memory: { bytesPerTilePixel: 3_500, fixedBytes: 0 } },
      { runTile: tail.runner, scale: 2, inputChannels: 4, outputChannels: 3, context: 2, memory: { bytesPerTilePixel: 11_600, fixedBytes: 0 } },
    ],
  };
}

function noiseImage(width: number, height: number): RgbImage {
  const image = createRgbImage(width, height);
  let seed = 7;
  for (let i = 0; i < image.rgb.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    image.rgb[i] = seed / 2 ** 31;
  }
  return image;
}

/** The two stand-ins run once over the whole image. */
function untiled(image: RgbImage): Float32Array {
  const features = trunkModel({ data: image.rgb, width: image.width, height: image.height });
  return tailModel(features).data;
}

/** A whole-model runner that must not be called: the split path replaces it once tiling is needed. */
function wholeRunner(split: SplitRunner): TileRunner {
  const run: TileRunner = async () => {
    throw new Error("the whole model ran");
  };
  return Object.assign(run, { context: 4, split });
}

describe("split models in the tiled driver", () => {
  it.each([
    [[4, 4]],
    [[8, 6]],
    [[32, 5]],
    [[13, 64]],
  ])("stage tiles %j give the untiled result exactly", async (stageTiles) => {
    const image = noiseImage(37, 29);
    const trunk = recorded(trunkModel);
    const tail = recorded(tailModel);
    const out = await upscaleTiled(image, wholeRunner(splitModel(trunk, tail)), { scale: 2, maxTile: 8, stageTiles });
    expect(out.width).toBe(74);
    expect(Array.from(out.rgb)).toEqual(Array.from(untiled(image)));
  });

  it("stage tiles the job planned on the runner: the model runs split even where one whole-model tile would cover the image", async () => {
    const image = noiseImage(37, 29);
    const trunk = recorded(trunkModel);
    const tail = recorded(tailModel);
    // maxTile 64 covers the image: without planned tiles the whole model would run (and throw here).
    const out = await upscaleTiled(image, wholeRunner({ ...splitModel(trunk, tail), tiles: [64, 16] }), { scale: 2, maxTile: 64 });
    expect(Array.from(out.rgb)).toEqual(Array.from(untiled(image)));
    expect(trunk.windows).toEqual(["37×29"]);
    expect(tail.windows.length).toBe(6);
  });

  it("progress weighs the stages by their cost, not their tile counts: the trunk's one tile is most of the work", async () => {
    const image = noiseImage(32, 32);
    const costly = splitModel(recorded(trunkModel), recorded(tailModel));
    // x4plus's figures: trunk 89 s per input MP, tail 8 s per input MP of its own (4× larger) input.
    const weighted: SplitRunner = { ...costly, stages: [{ ...costly.stages[0], cost: 89 }, { ...costly.stages[1], cost: 8 }] };
    const events: { tile: number; tiles: number; fraction: number }[] = [];
    await upscaleTiled(image, wholeRunner(weighted), { scale: 2, maxTile: 8, stageTiles: [64, 8], onProgress: (p) => events.push(p) });
    // One trunk tile (the whole image), then 16 tail tiles of 8².
    expect(events.map((event) => `${event.tile}/${event.tiles}`)).toEqual(Array.from({ length: 17 }, (_, k) => `${k + 1}/17`));
    // The tail sees the trunk's 1× output, the same pixels, at 8/89 of its cost per pixel.
    const trunkShare = 89 / (89 + 8);
    expect(events[0].fraction).toBeCloseTo(trunkShare, 10);
    expect(events[8].fraction).toBeCloseTo(trunkShare + (1 - trunkShare) / 2, 10);
    expect(events.at(-1)!.fraction).toBeCloseTo(1, 10);
  });

  it("without a cost on every stage, progress counts tiles", async () => {
    const image = noiseImage(32, 32);
    const events: number[] = [];
    await upscaleTiled(image, wholeRunner(splitModel(recorded(trunkModel), recorded(tailModel))), { scale: 2, maxTile: 8, stageTiles: [64, 8], onProgress: (p) => events.push(p.fraction) });
    expect(events[0]).toBeCloseTo(1 / 17, 10);
  });

  it.each([
    { name: "x4plus's stages at 2048²", stages: [{ scale: 1, cost: 89 }, { scale: 4, cost: 8 }], expected: [89 * 2048 ** 2, 8 * 2048 ** 2] },
    { name: "a ×2 stage before a 1× one sees 4× the pixels", stages: [{ scale: 2, cost: 1 }, { scale: 1, cost: 1 }], expected: [2048 ** 2, 4 * 2048 ** 2] },
    { name: "a stage without cost: no weights", stages: [{ scale: 1, cost: 89 }, { scale: 4 }], expected: undefined },
  ])("stageWeights: $name", ({ stages, expected }) => {
    expect(stageWeights(2048, 2048, stages)).toEqual(expected);
  });

  it("the whole model runs, unsplit, when the image fits one window", async () => {
    const image = noiseImage(12, 10);
    const trunk = recorded(trunkModel);
    const tail = recorded(tailModel);
    const whole = recorded((tile) => tailModel(trunkModel(tile)));
    const runner = Object.assign(whole.runner, { context: 4, split: splitModel(trunk, tail) });
    const out = await upscaleTiled(image, runner, { scale: 2, maxTile: 12 });
    expect(whole.windows).toEqual(["12×10"]);
    expect(trunk.windows).toEqual([]);
    expect(Array.from(out.rgb)).toEqual(Array.from(untiled(image)));
  });

  it("out of memory in either stage halves that stage's tile and keeps the result", async () => {
    const image = noiseImage(40, 24);
    const trunk = recorded(trunkModel, 20 * 20);
    const tail = recorded(tailModel, 12 * 12);
    const notices: UpscaleNotice[] = [];
    const progress: string[] = [];
    const out = await upscaleTiled(image, wholeRunner(splitModel(trunk, tail)), {
      scale: 2,
      maxTile: 8,
      minTile: 2,
      stageTiles: [64, 64],
      onNotice: (notice) => notices.push(notice),
      onProgress: (p) => progress.push(`${p.tile}/${p.tiles}`),
    });
    expect(notices.map((notice) => [notice.data.from, notice.data.to])).toEqual([
      [40, 20],
      [20, 10],
      [40, 20],
      [20, 10],
      [10, 5],
    ]);
    // The last windows keep the halved part and the whole context of their stage.
    expect(trunk.windows.at(-1)).toBe(`${10 + 2 * 4}×${8 + 2 * 4}`);
    expect(tail.windows.at(-1)).toBe(`${5 + 2 * 2}×${5 + 2 * 2}`);
    expect(Array.from(out.rgb)).toEqual(Array.from(untiled(image)));
    expect(progress.at(-1)).toMatch(/^(\d+)\/\1$/);
  });

  it("fully transparent tiles skip only the last stage; alpha is kept", async () => {
    const image = noiseImage(40, 16);
    const alpha = new Float32Array(40 * 16);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 12; x++) alpha[y * 40 + x] = 1;
    const trunk = recorded(trunkModel);
    const tail = recorded(tailModel);
    const out = await upscaleTiled({ ...image, alpha }, wholeRunner(splitModel(trunk, tail)), { scale: 2, maxTile: 8, stageTiles: [8, 8] });
    expect(trunk.windows).toHaveLength(5);
    expect(tail.windows.length).toBeLessThan(5);
    expect(out.alpha).toHaveLength(80 * 32);
  });
});

import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import type { ErrorCode } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { createRgbImage } from "../image/image";
import { upscaleTiled, upscaleToScale } from "./tiled-upscale";
import type { TilePixels, TileRunner, UpscaleNotice } from "./tiled-upscale";

/**
 * A deterministic stand-in for a model: a nonlinear 3×3 neighbourhood filter with zero
 * padding at the tile's edge (like a convolution), then bilinear enlargement. Tiles see
 * different borders than the whole image does, so tiled-vs-untiled differences are real.
 */
function neighbourhoodModel(scale: number): (tile: TilePixels) => TilePixels {
  return ({ data, width, height }) => {
    const plane = width * height;
    const filtered = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          let sum = 0;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const yy = y + dy;
              const xx = x + dx;
              if (yy >= 0 && yy < height && xx >= 0 && xx < width) sum += data[c * plane + yy * width + xx] * (dx === 0 && dy === 0 ? 0.6 : 0.05);
            }
          }
          filtered[c * plane + y * width + x] = sum * sum * 1.2;
        }
      }
    }
    const ow = width * scale;
    const oh = height * scale;
    const out = new Float32Array(3 * ow * oh);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < oh; y++) {
        const sy = Math.min(height - 1, Math.max(0, (y + 0.5) / scale - 0.5));
        const y0 = Math.floor(sy);
        const y1 = Math.min(height - 1, y0 + 1);
        const fy = sy - y0;
        for (let x = 0; x < ow; x++) {
          const sx = Math.min(width - 1, Math.max(0, (x + 0.5) / scale - 0.5));
          const x0 = Math.floor(sx);
          const x1 = Math.min(width - 1, x0 + 1);
          const fx = sx - x0;
          const p = c * plane;
          const top = filtered[p + y0 * width + x0] * (1 - fx) + filtered[p + y0 * width + x1] * fx;
          const bottom = filtered[p + y1 * width + x0] * (1 - fx) + filtered[p + y1 * width + x1] * fx;
          out[c * ow * oh + y * ow + x] = top * (1 - fy) + bottom * fy;
        }
      }
    }
    return { data: out, width: ow, height: oh };
  };
}

function runnerOf(scale: number, hook?: (tile: TilePixels, call: number) => void): TileRunner & { calls: TilePixels[] } {
  const model = neighbourhoodModel(scale);
  const calls: TilePixels[] = [];
  const runner = async (tile: TilePixels) => {
    calls.push({ data: tile.data, width: tile.width, height: tile.height });
    hook?.(tile, calls.length);
    return model(tile);
  };
  return Object.assign(runner, { calls });
}

function noiseImage(width: number, height: number, seed = 1): RgbImage {
  const image = createRgbImage(width, height);
  let state = seed;
  for (let i = 0; i < image.rgb.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    image.rgb[i] = (state >>> 8) / 0x1000000;
  }
  return image;
}

function untiled(image: RgbImage, scale: number): Float32Array {
  return neighbourhoodModel(scale)({ data: image.rgb, width: image.width, height: image.height }).data;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<PortraitError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitError);
    expect((error as PortraitError).code).toBe(code);
    return error as PortraitError;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

describe("upscaleTiled equals an untiled run", () => {
  const image = noiseImage(50, 37);
  it.each([
    { maxTile: 8, context: 4, scale: 2 },
    { maxTile: 16, context: 4, scale: 4 },
    { maxTile: 16, context: 8, scale: 2 },
    { maxTile: 28, context: 6, scale: 3 },
    { maxTile: 32, context: 2, scale: 4 },
  ])("tile $maxTile, context $context, ×$scale: within 2/255", async ({ maxTile, context, scale }) => {
    const runner = runnerOf(scale);
    const out = await upscaleTiled(image, runner, { scale, maxTile, context });
    expect(out.width).toBe(50 * scale);
    expect(out.height).toBe(37 * scale);
    expect(out.alpha).toBeUndefined();
    expect(maxAbsDifference(out.rgb, untiled(image, scale))).toBeLessThanOrEqual(2 / 255);
    // One input shape for the whole image (each new shape costs onnxruntime a re-plan).
    expect(new Set(runner.calls.map((t) => `${t.width}×${t.height}`)).size).toBe(1);
    if (maxTile + 2 * context < 50) expect(runner.calls.length).toBeGreaterThan(1);
  });

  it("without context the seams show (the comparison above is meaningful)", async () => {
    const out = await upscaleTiled(image, runnerOf(2), { scale: 2, maxTile: 16, context: 0 });
    expect(maxAbsDifference(out.rgb, untiled(image, 2))).toBeGreaterThan(2 / 255);
  });

  it("works with a runner that transfers (detaches) each tile's buffer", async () => {
    const model = neighbourhoodModel(2);
    const runner: TileRunner = async (tile) => {
      const moved = structuredClone(tile.data, { transfer: [tile.data.buffer as ArrayBuffer] });
      expect(tile.data.length).toBe(0);
      return model({ data: moved, width: tile.width, height: tile.height });
    };
    const out = await upscaleTiled(image, runner, { scale: 2, maxTile: 12, context: 4 });
    expect(maxAbsDifference(out.rgb, untiled(image, 2))).toBeLessThanOrEqual(2 / 255);
  });
});

describe("progress and cancellation", () => {
  it("reports progress 1..N", async () => {
    const progress: string[] = [];
    const runner = runnerOf(2);
    await upscaleTiled(noiseImage(40, 30), runner, { scale: 2, maxTile: 8, context: 4, onProgress: (p) => progress.push(`${p.tile}/${p.tiles}`) });
    const n = runner.calls.length;
    expect(n).toBe(20);
    expect(progress).toEqual(Array.from({ length: n }, (_, i) => `${i + 1}/${n}`));
  });

  it("cancelling after tile k stops before tile k+1", async () => {
    const controller = new AbortController();
    const runner = runnerOf(2);
    const done = upscaleTiled(noiseImage(40, 30), runner, {
      scale: 2,
      maxTile: 8,
      context: 4,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.tile === 3) controller.abort();
      },
    });
    await expectCode(done, "CANCELLED");
    expect(runner.calls.length).toBe(3);
  });

  it("cancelling while a tile runs discards its result and runs no more", async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const runner = runnerOf(2, (_, call) => {
      if (call === 2) controller.abort();
    });
    const done = upscaleTiled(noiseImage(40, 30), runner, { scale: 2, maxTile: 8, context: 4, signal: controller.signal, onProgress: (p) => progress.push(p.tile) });
    await expectCode(done, "CANCELLED");
    expect(runner.calls.length).toBe(2);
    expect(progress).toEqual([1]);
  });

  it("an already cancelled signal runs nothing; a runner's abort error becomes CANCELLED", async () => {
    const runner = runnerOf(2);
    await expectCode(upscaleTiled(noiseImage(8, 8), runner, { scale: 2, maxTile: 16, signal: AbortSignal.abort() }), "CANCELLED");
    expect(runner.calls.length).toBe(0);
    const controller = new AbortController();
    const aborting: TileRunner = async () => {
      controller.abort();
      throw new DOMException("aborted", "AbortError");
    };
    await expectCode(upscaleTiled(noiseImage(8, 8), aborting, { scale: 2, maxTile: 16, signal: controller.signal }), "CANCELLED");
  });
});

describe("failures from the runner", () => {
  it("out of memory on large tiles: retried smaller, reported, and still correct", async () => {
    const image = noiseImage(60, 44);
    const notices: UpscaleNotice[] = [];
    const runner = runnerOf(2, (tile) => {
      if (tile.width * tile.height > 24 * 24) throw new PortraitError("OUT_OF_MEMORY", undefined, { provider: "test" });
    });
    const progress: number[] = [];
    const out = await upscaleTiled(image, runner, { scale: 2, maxTile: 56, context: 4, minTile: 8, onNotice: (n) => notices.push(n), onProgress: (p) => progress.push(p.tiles) });
    expect(notices.map((n) => [n.code, n.data.from, n.data.to])).toEqual([
      ["TILE_REDUCED", 56, 28],
      ["TILE_REDUCED", 22, 11],
    ]);
    expect(notices[0].message).toContain("retrying with 28 px tiles");
    expect(new Set(progress).size).toBe(1);
    expect(maxAbsDifference(out.rgb, untiled(image, 2))).toBeLessThanOrEqual(2 / 255);
  });

  it("out of memory even at the smallest tile → OUT_OF_MEMORY with advice", async () => {
    const runner: TileRunner = async () => {
      throw new PortraitError("OUT_OF_MEMORY");
    };
    const notices: UpscaleNotice[] = [];
    const error = await expectCode(upscaleTiled(noiseImage(100, 100), runner, { scale: 4, maxTile: 128, minTile: 32, onNotice: (n) => notices.push(n) }), "OUT_OF_MEMORY");
    expect(notices.map((n) => n.data.to)).toEqual([50, 32]);
    // Kept parts may come out a little under the floor (100 px in 4 even tiles of 25), the context stays whole.
    expect(error.data).toMatchObject({ tileWidth: 57, tileHeight: 57, minTile: 32 });
    expect(error.message).toBe("Ran out of memory even with 57×57 px tiles (25 px kept, 16 px of context around).");
    expect(typeof error.data?.advice).toBe("string");
  });

  it("a model output that is not exactly scale× the tile → INFERENCE_FAILED with data", async () => {
    const model = neighbourhoodModel(2);
    const runner: TileRunner = async (tile) => model({ ...tile, width: tile.width, height: tile.height - 1, data: tile.data.subarray(0, 3 * tile.width * (tile.height - 1)) });
    const error = await expectCode(upscaleTiled(noiseImage(20, 20), runner, { scale: 2, maxTile: 32 }), "INFERENCE_FAILED");
    expect(error.data).toMatchObject({ tile: 1, tiles: 1, scale: 2, expectedWidth: 40, expectedHeight: 40, receivedWidth: 40, receivedHeight: 38 });
  });

  it("any other runner error → INFERENCE_FAILED naming the tile", async () => {
    const runner: TileRunner = async () => {
      throw new Error("session exploded");
    };
    const error = await expectCode(upscaleTiled(noiseImage(20, 20), runner, { scale: 2, maxTile: 32 }), "INFERENCE_FAILED");
    expect(error.message).toContain("session exploded");
  });

  it("bad options are refused with the one message shape", async () => {
    await expect(upscaleTiled(noiseImage(4, 4), runnerOf(2), { scale: 2.5, maxTile: 32 })).rejects.toThrow("Expected a positive integer for scale but received 2.5 of type number");
  });
});

describe("alpha", () => {
  /** A white disc (antialiased coverage) on transparent black. */
  function whiteDisc(size: number, radius: number): RgbImage {
    const image = createRgbImage(size, size, true);
    const plane = size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const distance = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2);
        const coverage = Math.min(1, Math.max(0, radius - distance + 0.5));
        const i = y * size + x;
        image.alpha![i] = coverage;
        if (coverage > 0) image.rgb[i] = image.rgb[plane + i] = image.rgb[2 * plane + i] = 1;
      }
    }
    return image;
  }

  function minLuminanceWhereOpaque(image: RgbImage): number {
    const plane = image.width * image.height;
    let min = Infinity;
    for (let i = 0; i < plane; i++) {
      if (image.alpha![i] > 0.5) min = Math.min(min, 0.2126 * image.rgb[i] + 0.7152 * image.rgb[plane + i] + 0.0722 * image.rgb[2 * plane + i]);
    }
    return min;
  }

  it("a white disc on transparent black gets no dark fringe", async () => {
    const disc = whiteDisc(40, 12);
    const out = await upscaleTiled(disc, runnerOf(4), { scale: 4, maxTile: 16, context: 4 });
    expect(out.width).toBe(160);
    expect(out.alpha).toBeDefined();
    for (const a of out.alpha!) expect(a >= 0 && a <= 1).toBe(true);
    // The model here maps white to 1.2·1² = 1.2, so anything near 1 or above is fringe-free.
    expect(minLuminanceWhereOpaque(out)).toBeGreaterThan(0.98);
    // Control: the same colours without the fill do fringe.
    const naive = await upscaleTiled({ width: 40, height: 40, rgb: disc.rgb }, runnerOf(4), { scale: 4, maxTile: 16, context: 4 });
    expect(minLuminanceWhereOpaque({ ...naive, alpha: out.alpha })).toBeLessThan(0.9);
  });

  it("the alpha plane is enlarged smoothly and keeps the disc's area", async () => {
    const disc = whiteDisc(32, 10);
    const out = await upscaleTiled(disc, runnerOf(2), { scale: 2, maxTile: 64 });
    const area = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(area(out.alpha!) / 4).toBeCloseTo(area(disc.alpha!), -1);
  });

  it("alpha through a runner: only tiles with edges run, progress covers both passes, alpha stays in 0..1", async () => {
    const disc = whiteDisc(64, 10);
    const colour = runnerOf(2);
    const alphaRunner = runnerOf(2);
    const progress: string[] = [];
    const out = await upscaleTiled(disc, colour, { scale: 2, maxTile: 16, context: 4, alphaRunner, onProgress: (p) => progress.push(`${p.tile}/${p.tiles}`) });
    const tiles = progress.length / 2;
    expect(progress).toEqual(Array.from({ length: 2 * tiles }, (_, i) => `${i + 1}/${2 * tiles}`));
    expect(alphaRunner.calls.length).toBeGreaterThan(0);
    expect(alphaRunner.calls.length).toBeLessThan(tiles);
    for (const a of out.alpha!) expect(a >= 0 && a <= 1).toBe(true);
    // Far from the disc alpha is exactly 0, inside exactly 1 (the test model maps 1 to 1.2, clamped).
    expect(out.alpha![0]).toBe(0);
    expect(out.alpha![64 * 128 + 64]).toBe(1);
    expect(minLuminanceWhereOpaque(out)).toBeGreaterThan(0.98);
  });

  it("fully transparent tiles skip the model; a fully transparent image runs nothing", async () => {
    const image = createRgbImage(64, 64, true);
    const corner = whiteDisc(16, 6);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) image.alpha![y * 64 + x] = corner.alpha![y * 16 + x];
    image.rgb.fill(0.5);
    const runner = runnerOf(2);
    const progress: number[] = [];
    await upscaleTiled(image, runner, { scale: 2, maxTile: 16, context: 4, onProgress: (p) => progress.push(p.tiles) });
    expect(runner.calls.length).toBeGreaterThan(0);
    expect(runner.calls.length).toBeLessThan(progress.length);
    const empty = createRgbImage(32, 32, true);
    const idle = runnerOf(2);
    const out = await upscaleTiled(empty, idle, { scale: 2, maxTile: 12, context: 2 });
    expect(idle.calls.length).toBe(0);
    expect(Math.max(...out.alpha!)).toBe(0);
  });

  it("an opaque image costs nothing extra: the runner sees its exact pixels", async () => {
    const image = noiseImage(16, 16);
    const runner = runnerOf(2);
    const out = await upscaleTiled(image, runner, { scale: 2, maxTile: 64 });
    expect(out.alpha).toBeUndefined();
    expect(Array.from(runner.calls[0].data)).toEqual(Array.from(image.rgb));
  });
});

describe("upscaleToScale", () => {
  it.each([
    { targetScale: 2, width: 66, height: 34 },
    { targetScale: 3, width: 99, height: 51 },
    { targetScale: 2.5, width: 83, height: 43 },
    { targetScale: 8, width: 264, height: 136 },
  ])("×$targetScale from a ×4 model → exactly $width×$height", async ({ targetScale, width, height }) => {
    const out = await upscaleToScale(noiseImage(33, 17), runnerOf(4), { nativeScale: 4, targetScale, maxTile: 64 });
    expect([out.width, out.height, out.rgb.length]).toEqual([width, height, 3 * width * height]);
  });

  it("the native scale is exactly the tiled result", async () => {
    const image = noiseImage(20, 12);
    const a = await upscaleToScale(image, runnerOf(4), { nativeScale: 4, targetScale: 4, maxTile: 8, context: 4 });
    const b = await upscaleTiled(image, runnerOf(4), { scale: 4, maxTile: 8, context: 4 });
    expect(Array.from(a.rgb)).toEqual(Array.from(b.rgb));
  });

  it("×2 from ×4 matches the ×4 result reduced (a flat image stays flat)", async () => {
    const image = createRgbImage(12, 12);
    image.rgb.fill(0.5);
    const out = await upscaleToScale(image, async (t) => ({ data: new Float32Array(3 * t.width * 4 * t.height * 4).fill(0.5), width: t.width * 4, height: t.height * 4 }), {
      nativeScale: 4,
      targetScale: 2,
      maxTile: 64,
    });
    for (const v of out.rgb) expect(v).toBeCloseTo(0.5, 5);
  });

  it("refuses a scale that is not a positive number", async () => {
    await expect(upscaleToScale(noiseImage(4, 4), runnerOf(4), { nativeScale: 4, targetScale: -1, maxTile: 64 })).rejects.toThrow(
      "Expected a positive number for scale but received -1 of type number",
    );
  });
});

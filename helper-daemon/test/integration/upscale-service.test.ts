// The upscale service on the real converted models (skipped per model until `npm install`
// has converted it) with tiny images. Needs the worker bundle: `npm run build`.
import { afterAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { createInferencePool } from "../../src/inference/index";
import { resampleImage } from "../../src/image/resample";
import { psnrRgb } from "../../src/metrics/quality";
import { parseUpscaleSettings, upscaleBytes, upscaleImage, type ModelChoice } from "../../src/upscale/index";
import type { RgbImage } from "../../src/image/image";
import { fixture, fixtureCrop, maxAbsDiff, pixels } from "./support/images";
import { hasModel } from "./support/models";

const pool = createInferencePool({ provider: "cpu" });
afterAll(() => pool.close());

const CASES: [ModelChoice, number, string][] = [
  ["x4fast", 2, "realesrgan-x4fast"],
  ["x4fast", 3, "realesrgan-x4fast"],
  ["x4fast", 4, "realesrgan-x4fast"],
  ["x4fast", 8, "realesrgan-x4fast"],
  ["x4plus", 2, "realesrgan-x4plus"],
  ["x4plus", 3, "realesrgan-x4plus"],
  ["x4plus", 4, "realesrgan-x4plus"],
  ["x4plus", 8, "realesrgan-x4plus"],
  ["thick", 2, "esrgan-thick-x2"],
  ["thick", 3, "esrgan-thick-x3"],
  ["thick", 4, "esrgan-thick-x4"],
  ["thick", 8, "esrgan-thick-x8"],
];

/** Mean squared difference between the output reduced to the input's size and the input. */
function alignmentError(output: RgbImage, input: RgbImage, shiftX: number, shiftY: number): number {
  // Shift the output by whole output pixels (edge-clamped), then average down.
  const { width, height } = output;
  const plane = width * height;
  const shifted = new Float32Array(output.rgb.length);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const sx = Math.min(width - 1, Math.max(0, x + shiftX));
        const sy = Math.min(height - 1, Math.max(0, y + shiftY));
        shifted[c * plane + y * width + x] = output.rgb[c * plane + sy * width + sx];
      }
  const reduced = resampleImage({ width, height, rgb: shifted }, { width: input.width, height: input.height, filter: "area" });
  let sum = 0;
  let count = 0;
  const inPlane = input.width * input.height;
  for (let c = 0; c < 3; c++)
    for (let y = 2; y < input.height - 2; y++)
      for (let x = 2; x < input.width - 2; x++) {
        const d = reduced.rgb[c * inPlane + y * input.width + x] - input.rgb[c * inPlane + y * input.width + x];
        sum += d * d;
        count++;
      }
  return sum / count;
}

describe("output size and alignment", () => {
  it.each(CASES)("%s ×%d (%s)", async (model, scale, modelId) => {
    if (!hasModel(modelId)) return;
    const input = await pixels(await fixtureCrop("astronaut-face-64.png", 32, 16, 16));
    const result = await upscaleImage(input, pool, parseUpscaleSettings({ model, scale }));
    expect(result.models).toEqual([modelId]);
    expect([result.image.width, result.image.height]).toEqual([32 * scale, 32 * scale]);
    expect(result.image.rgb.length).toBe(3 * 32 * scale * 32 * scale);
    expect(result.provider).toBe("cpu");
    // Aligned at (0,0): shifting the output by one output pixel in any direction only makes it worse.
    const centred = alignmentError(result.image, input, 0, 0);
    for (const [dx, dy] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
      expect(centred).toBeLessThanOrEqual(alignmentError(result.image, input, dx * Math.max(1, Math.floor(scale / 2)), dy * Math.max(1, Math.floor(scale / 2))));
    }
  });
});

describe("fidelity", () => {
  it("esrgan-thick ×4 beats Lanczos-3 on a 4× round trip (PSNR)", async () => {
    if (!hasModel("esrgan-thick-x4")) return;
    const reference = await pixels(fixture("astronaut-face-128.png"));
    const small = resampleImage(reference, { width: 32, height: 32, filter: "area" });
    const viaModel = await upscaleImage(small, pool, parseUpscaleSettings({ model: "thick", scale: 4 }));
    const viaLanczos = resampleImage(small, { width: 128, height: 128, filter: "lanczos3" });
    const model = psnrRgb(clamped(viaModel.image), reference, { border: 4 });
    const lanczos = psnrRgb(clamped(viaLanczos), reference, { border: 4 });
    expect(model).toBeGreaterThan(lanczos);
  });
});

describe("tiling", () => {
  it.each([
    ["thick", "esrgan-thick-x4", 64, 32],
    ["x4fast", "realesrgan-x4fast", 128, 48],
  ] as const)("a tiled %s result equals the untiled one within 2/255", async (model, modelId, size, tile) => {
    if (!hasModel(modelId)) return;
    const input = await pixels(await fixtureCrop("astronaut-face-128.png", size, 128 - size, 0));
    const progress: number[] = [];
    const tiled = await upscaleImage(input, pool, parseUpscaleSettings({ model, scale: 4, tile }), {
      onProgress: (p) => p.tiles !== undefined && progress.push(p.tiles),
    });
    const whole = await upscaleImage(input, pool, parseUpscaleSettings({ model, scale: 4, tile: 256 }));
    expect(progress[0]).toBeGreaterThan(1);
    expect(maxAbsDiff(clamped(tiled.image).rgb, clamped(whole.image).rgb)).toBeLessThanOrEqual(2 / 255);
  });

  it("cancelling stops within one tile", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    // 128 px in tiles of 32 (each with the model's context around it): several tiles.
    const input = await pixels(fixture("astronaut-face-128.png"));
    const controller = new AbortController();
    pool.resetStats();
    let tilesDone = 0;
    const run = upscaleImage(input, pool, parseUpscaleSettings({ model: "x4fast", scale: 4, tile: 32 }), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.tile !== undefined) {
          tilesDone = p.tile;
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: "CANCELLED" });
    expect(tilesDone).toBe(1);
    // The tile after the one that finished may have been in flight; nothing after it ran.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pool.stats().runs).toBeLessThanOrEqual(2);
  });
});

describe("bit depth and alpha", () => {
  it("16-bit PNG in gives 16-bit PNG out, not quantised to 8 bits", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    const input16 = await sharp(await fixtureCrop("astronaut-face-64.png", 32)).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(input16).metadata()).depth).toBe("ushort");
    const { bytes, summary } = await upscaleBytes(input16, pool, parseUpscaleSettings({ model: "x4fast", scale: 2 }));
    expect(summary.output).toMatchObject({ width: 64, height: 64, bitDepth: 16, format: "png" });
    const meta = await sharp(bytes).metadata();
    expect([meta.depth, meta.width, meta.height]).toEqual(["ushort", 64, 64]);
    const raw = await sharp(bytes).raw({ depth: "ushort" }).toBuffer();
    const samples = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    const offGrid = samples.filter((v) => v % 257 !== 0).length;
    expect(offGrid / samples.length).toBeGreaterThan(0.5);
  });

  it("keeps alpha: an RGBA input gives RGBA output with the alpha resized", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    const size = 32;
    const alpha = Buffer.alloc(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) alpha[y * size + x] = x < 8 ? 0 : x < 24 ? Math.round(((x - 8) / 16) * 255) : 255;
    const rgba = await sharp(await fixtureCrop("astronaut-face-64.png", size))
      .joinChannel(alpha, { raw: { width: size, height: size, channels: 1 } })
      .png()
      .toBuffer();
    const { bytes, summary } = await upscaleBytes(rgba, pool, parseUpscaleSettings({ model: "x4fast", scale: 4 }));
    expect(summary.output.channels).toBe(4);
    const out = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(out.info.channels).toBe(4);
    const w = out.info.width;
    const alphaAt = (x: number, y: number) => out.data[(y * w + x) * 4 + 3];
    expect(alphaAt(4, 64)).toBe(0);
    expect(alphaAt(120, 64)).toBe(255);
    expect(Math.abs(alphaAt(64, 64) - 128)).toBeLessThanOrEqual(10);
  });
});

function clamped(image: RgbImage): RgbImage {
  return { ...image, rgb: image.rgb.map((v) => Math.min(1, Math.max(0, v))) };
}

// The converted super-resolution models as installed: each must enlarge a 32×32 crop of a
// real portrait by its scale, keep values in a sane range, and shrink back to the input.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { modelPath } from "../../src/index";

const CROP = 32;
/**
 * id, scale, and the least PSNR (dB) of the result box-shrunk back against the input. Measured:
 * x4fast 29.3, x4plus 30.4 (GAN models invent detail), thick 35.9–39.6; a one-pixel shift
 * of this crop scores 23, swapped red and blue 14.
 */
const MODELS: readonly (readonly [string, number, number])[] = [
  ["realesrgan-x4fast", 4, 27],
  ["realesrgan-x4plus", 4, 27],
  ["esrgan-thick-x2", 2, 33],
  ["esrgan-thick-x3", 3, 33],
  ["esrgan-thick-x4", 4, 33],
  ["esrgan-thick-x8", 8, 33],
];

/** A 32×32 crop around the astronaut's face, planar RGB 0..1. */
async function faceCrop(): Promise<Float32Array> {
  const { data } = await sharp(fileURLToPath(new URL("../../../test/fixtures/astronaut-face-64.png", import.meta.url)))
    .removeAlpha()
    .extract({ left: 16, top: 16, width: CROP, height: CROP })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = CROP * CROP;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = data[p * 3 + c] / 255;
  return out;
}

/** Averages scale×scale blocks of a planar RGB image. */
function boxShrink(data: Float32Array, size: number, scale: number): Float32Array {
  const small = size / scale;
  const out = new Float32Array(3 * small * small);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        out[(c * small + Math.floor(y / scale)) * small + Math.floor(x / scale)] += data[(c * size + y) * size + x] / (scale * scale);
      }
    }
  }
  return out;
}

function psnr(a: Float32Array, b: Float32Array): number {
  let squared = 0;
  for (let index = 0; index < a.length; index++) squared += (a[index] - b[index]) ** 2;
  return 10 * Math.log10(1 / (squared / a.length));
}

describe("converted super-resolution models", () => {
  it.each(MODELS)("%s enlarges a 32×32 portrait crop by ×%i", async (id, scale, minimumPsnr) => {
    const path = modelPath(id);
    expect(existsSync(path), `${path} is missing: run \`npm install\` (or \`npm run models\`) to fetch and convert the models`).toBe(true);
    const input = await faceCrop();
    const session = await ort.InferenceSession.create(path, { logSeverityLevel: 3, intraOpNumThreads: 1 });
    try {
      const result = await session.run({ input: new ort.Tensor("float32", input, [1, 3, CROP, CROP]) });
      const output = result.output;
      const size = CROP * scale;
      expect(output.dims).toEqual([1, 3, size, size]);
      const values = output.data as Float32Array;
      let min = Infinity;
      let max = -Infinity;
      for (const value of values) {
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
      // Not clamped inside the model, so slight overshoot is expected; a wrong range would be far off.
      expect(min).toBeGreaterThan(-0.3);
      expect(max).toBeLessThan(1.3);
      expect(max - min).toBeGreaterThan(0.3);
      // Shrunk back, the result must look like the input (a channel swap or misalignment would not).
      expect(psnr(boxShrink(values, size, scale), input)).toBeGreaterThan(minimumPsnr);
    } finally {
      await session.release();
    }
  });
});

import { afterEach, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { TEXTURE_AGREEMENT } from "../../src/portrait/texture-agreement";
import { resampleImage } from "../../src/image/resample";
import { luma, type Plane } from "../../src/image/plane";
import { gaussianBlur, gradientMagnitude } from "../../src/image/filters";
import { psnrY } from "../../src/metrics/quality";
import { fixturePath, hasModel, loadRgb, ortTileRunner, type OrtLike } from "./support";

const models = ["esrgan-thick-x4", "realesrgan-x4plus"];
it("has the converted models it needs (npm install converts them)", () => expect(models.every(hasModel)).toBe(true));

afterEach(() => {
  TEXTURE_AGREEMENT.strength = 1;
});

/**
 * RMS of the result's sub-pixel band (what is finer than a source pixel) over the output
 * pixels whose source neighbourhood is smooth or structured (gradient energy under or over
 * the stage's `flatEnergy`).
 */
function subPixelRms(result: Plane, source: Plane, scale: number): { smooth: number; structured: number } {
  const low = gaussianBlur(result, scale).data;
  const grad = gaussianBlur(gradientMagnitude(source), 1);
  const sums = { smooth: [0, 0], structured: [0, 0] };
  for (let y = 0; y < result.height; y++)
    for (let x = 0; x < result.width; x++) {
      const g = grad.data[Math.floor(y / scale) * source.width + Math.floor(x / scale)];
      const d = result.data[y * result.width + x] - low[y * result.width + x];
      const bin = g * g < TEXTURE_AGREEMENT.flatEnergy ? sums.smooth : sums.structured;
      bin[0] += d * d;
      bin[1]++;
    }
  return { smooth: Math.sqrt(sums.smooth[0] / sums.smooth[1]), structured: Math.sqrt(sums.structured[0] / sums.structured[1]) };
}

it("at 4× on real models: calmer smooth skin, texture kept on structure, the same fidelity to the original (±0.1 dB PSNR-Y)", async () => {
  // The README sample reduced to 32 px, then enlarged 4× back: the original is the truth.
  const original = await loadRgb(fixturePath("astronaut-face-128.png"));
  const source = resampleImage(original, { width: 32, height: 32, filter: "lanczos3" });
  const settings: PortraitSettings = { ...resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!), scale: 4 };
  const deps = { tileRunner: ortTileRunner(ort as unknown as OrtLike) };
  TEXTURE_AGREEMENT.strength = 0;
  const before = (await runPortraitPipeline(source, settings, deps)).image;
  TEXTURE_AGREEMENT.strength = 1;
  const after = (await runPortraitPipeline(source, settings, deps)).image;
  expect([after.width, after.height]).toEqual([128, 128]);
  let changed = 0;
  for (let i = 0; i < after.rgb.length; i++) changed = Math.max(changed, Math.abs(after.rgb[i] - before.rgb[i]));
  expect(changed).toBeGreaterThan(0.01);
  expect(psnrY(after, original, { border: 4 })).toBeGreaterThan(psnrY(before, original, { border: 4 }) - 0.1);
  const was = subPixelRms(luma(before), luma(source), 4);
  const is = subPixelRms(luma(after), luma(source), 4);
  expect(is.smooth).toBeLessThan(0.9 * was.smooth);
  expect(is.structured).toBeGreaterThan(0.9 * was.structured);
}, 600_000);

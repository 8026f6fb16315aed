import { describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { fixturePath, hasModel, loadRgb, ortDetector, ortTileRunner, type OrtLike } from "./support";

const models = ["esrgan-thick-x2", "esrgan-thick-x4", "realesrgan-x4plus", "realesrgan-x4fast", "blazeface-back-256", "blazeface-front-128"];
const ready = models.every(hasModel);

it("has the converted models it needs (npm install converts them)", () => expect(ready).toBe(true));
const deps = { tileRunner: ortTileRunner(ort as unknown as OrtLike), runDetector: ortDetector(ort as unknown as OrtLike) };
const natural = (): PortraitSettings => resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!);

describe("runPortraitPipeline with real models", () => {
  it("upscales a 48 px face to the requested size, deterministically", async () => {
    const image = await loadRgb(fixturePath("astronaut-face-64.png"));
    const small = { width: 48, height: 40, rgb: new Float32Array(48 * 40 * 3) };
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 40; y++)
        for (let x = 0; x < 48; x++) small.rgb[c * 1920 + y * 48 + x] = image.rgb[c * 4096 + (y + 12) * 64 + x + 8];
    const settings = { ...natural(), scale: 2 as const };
    const stages = new Set<string>();
    const first = await runPortraitPipeline(small, settings, { ...deps, keepBranches: true, onProgress: (s) => stages.add(s) });
    expect([first.image.width, first.image.height]).toEqual([96, 80]);
    expect(first.models).toEqual(expect.arrayContaining(["esrgan-thick-x2", "realesrgan-x4plus"]));
    expect([...stages]).toEqual(["faces", "fidelity", "detail", "blend"]);
    expect(first.branches?.detail?.width).toBe(96);
    const second = await runPortraitPipeline(small, settings, deps);
    expect(Buffer.from(second.image.rgb.buffer).equals(Buffer.from(first.image.rgb.buffer))).toBe(true);
  });

  it("finds the face of a 64 px crop and reaches 4× in two passes with grain, identically twice", async () => {
    const image = await loadRgb(fixturePath("astronaut-face-64.png"));
    const settings: PortraitSettings = { ...natural(), scale: 4, twoPass: true, grain: true, models: { fidelity: "thick", detail: "x4fast" } };
    const first = await runPortraitPipeline(image, settings, { ...deps, keepBranches: true });
    expect([first.image.width, first.image.height]).toEqual([256, 256]);
    expect(first.faces).toHaveLength(1);
    expect(first.branches?.fidelity.width).toBe(256);
    expect(first.branches?.gate?.width).toBe(256);
    expect(first.notes.map((n) => n.code)).toEqual(expect.arrayContaining(["SMALL_FACE", "GRAIN_KEPT"]));
    const second = await runPortraitPipeline(image, settings, deps);
    expect(Buffer.from(second.image.rgb.buffer).equals(Buffer.from(first.image.rgb.buffer))).toBe(true);
  });

  it("carries alpha through at the output size", async () => {
    const n = 32 * 32;
    const image = { width: 32, height: 32, rgb: new Float32Array(3 * n).fill(0.5), alpha: new Float32Array(n).map((_, i) => (i % 32 < 16 ? 1 : 0.25)) };
    const settings: PortraitSettings = { ...natural(), scale: 2, models: { fidelity: "thick", detail: "x4fast" } };
    const result = await runPortraitPipeline(image, settings, { tileRunner: deps.tileRunner });
    expect(result.image.alpha).toHaveLength(64 * 64);
    expect(result.image.alpha![32 * 64 + 4]).toBeCloseTo(1, 2);
    expect(result.image.alpha![32 * 64 + 60]).toBeCloseTo(0.25, 2);
  });

  it("refuses a scale it does not offer with INVALID_OPTION", async () => {
    const image = { width: 8, height: 8, rgb: new Float32Array(192) };
    await expect(runPortraitPipeline(image, { ...natural(), scale: 5 as never }, deps)).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("stops with CANCELLED when the signal is aborted", async () => {
    const image = await loadRgb(fixturePath("astronaut-face-64.png"));
    const controller = new AbortController();
    controller.abort();
    await expect(runPortraitPipeline(image, natural(), { ...deps, signal: controller.signal })).rejects.toMatchObject({ code: "CANCELLED" });
  });
});

import { describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import type { TileRunner } from "../../src/tiling/tiled-upscale";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { ownedWindows, runTiledPass } from "../../src/portrait/tiled-pass";
import { LIGHT_DETAIL, REDUCED_DETAIL } from "../../src/portrait/branch-models";
import type { Face } from "../../src/portrait/faces";
import type { RgbImage } from "../../src/image/image";
import { spiralMesh } from "./support";

/**
 * A stand-in model with a little spatial context (a 3×3 mean, then pixel replication by the
 * scale in its id) that records how many input pixels it was given: enough to check that
 * windows and routing change nothing but the work done. Quality is tested with real models.
 */
function localRunner(pixels: Map<string, number>): (modelId: string) => TileRunner {
  return (modelId) => async (tile) => {
    // Yield to the event loop as a real model's worker does: a pass of many small windows
    // otherwise computes for a minute without letting the test runner's messages through.
    await new Promise((resolve) => setImmediate(resolve));
    pixels.set(modelId, (pixels.get(modelId) ?? 0) + tile.width * tile.height);
    const s = Number(/x(\d)/.exec(modelId.replace("realesrgan-x4", "x4"))![1]);
    const { width: w, height: h } = tile;
    const data = new Float32Array(3 * w * s * h * s);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h * s; y++)
        for (let x = 0; x < w * s; x++) {
          const sx = Math.floor(x / s);
          const sy = Math.floor(y / s);
          let sum = 0;
          // The light detail model's stand-in draws differently (the pixel itself), so a hand-over between the two would show.
          if (modelId === "realesrgan-x4fast") {
            data[c * w * s * h * s + y * w * s + x] = tile.data[c * w * h + sy * w + sx];
            continue;
          }
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const xx = Math.min(w - 1, Math.max(0, sx + dx));
              const yy = Math.min(h - 1, Math.max(0, sy + dy));
              sum += tile.data[c * w * h + yy * w + xx];
            }
          data[c * w * s * h * s + y * w * s + x] = sum / 9;
        }
    return { data, width: w * s, height: h * s };
  };
}

const preset = (id: string): PortraitSettings => resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === id)!);

/**
 * `width`×96: a flat, softly shaded left half (a backdrop) and a textured right half; with
 * `edgeAt`, a step of 0.3 at that column of the backdrop (an edge, not texture: routing's mean
 * |Laplacian| there is 2 × 0.3 / 32 ≈ 0.019, between its fidelity and detail thresholds).
 */
function halfTextured(width = 160, edgeAt?: number): { width: number; height: number; rgb: Float32Array } {
  const height = 96;
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const shade = 0.4 + 0.1 * (y / height);
      const texture = x >= width / 2 ? 0.15 * Math.sin(x * 1.7 + y * 0.9) * Math.cos(y * 2.3) : 0;
      const step = edgeAt !== undefined && x >= edgeAt && x < width / 2 ? 0.3 : 0;
      for (let c = 0; c < 3; c++) rgb[c * n + y * width + x] = shade + texture + step + 0.05 * c;
    }
  return { width, height, rgb };
}

describe("the windowed pass", () => {
  it("cuts an image into nearly equal windows that cover it once", () => {
    expect(ownedWindows(100, 50, 40)).toEqual([
      { x: 0, y: 0, width: 34, height: 25 },
      { x: 34, y: 0, width: 34, height: 25 },
      { x: 68, y: 0, width: 32, height: 25 },
      { x: 0, y: 25, width: 34, height: 25 },
      { x: 34, y: 25, width: 34, height: 25 },
      { x: 68, y: 25, width: 32, height: 25 },
    ]);
    expect(ownedWindows(30, 20, 1024)).toEqual([{ x: 0, y: 0, width: 30, height: 20 }]);
  });

  it.each(["portrait-natural", "fast-preview", "film-scan-keep-grain"])("%s: small windows give the whole-image result", async (id) => {
    const image = halfTextured(160, 24);
    const settings = preset(id);
    const whole = await runPortraitPipeline(image, settings, { tileRunner: localRunner(new Map()) });
    const windowed = await runPortraitPipeline(image, settings, { tileRunner: localRunner(new Map()), window: 40 });
    expect([windowed.image.width, windowed.image.height]).toEqual([whole.image.width, whole.image.height]);
    let worst = 0;
    for (let i = 0; i < whole.image.rgb.length; i++) worst = Math.max(worst, Math.abs(whole.image.rgb[i] - windowed.image.rgb[i]));
    expect(worst).toBeLessThan(1 / 4096);
  });

  it("portrait-natural with x4plus on the source halved: small windows give the whole-image result, x4plus sees a quarter of the pixels", async () => {
    REDUCED_DETAIL.enabled = true;
    // No face here: with the light detail model x4plus would not run at all.
    const light = LIGHT_DETAIL.enabled;
    LIGHT_DETAIL.enabled = false;
    try {
      const image = halfTextured(160, 24);
      const settings = preset("portrait-natural");
      const pixels = new Map<string, number>();
      const whole = await runPortraitPipeline(image, settings, { tileRunner: localRunner(pixels), maxTile: 1024 });
      const windowed = await runPortraitPipeline(image, settings, { tileRunner: localRunner(new Map()), window: 40 });
      let worst = 0;
      for (let i = 0; i < whole.image.rgb.length; i++) worst = Math.max(worst, Math.abs(whole.image.rgb[i] - windowed.image.rgb[i]));
      expect(worst).toBeLessThan(1 / 4096);
      // The textured half and its context reach the whole image: 80×48 of the 160×96 source.
      expect(pixels.get("realesrgan-x4plus")).toBe(80 * 48);
    } finally {
      REDUCED_DETAIL.enabled = false;
      LIGHT_DETAIL.enabled = light;
    }
  });

  // No face is found, so the detail model keeps every detail cell with the light model on too.
  it.each([
    { light: true, detail: "realesrgan-x4plus", context: 64 },
    { light: false, detail: "realesrgan-x4plus", context: 64 },
  ])("runs the models only on the textured half (and its hand-over ring); no face, light detail model $light: $detail", async ({ light, detail, context }) => {
    const shipped = LIGHT_DETAIL.enabled;
    LIGHT_DETAIL.enabled = light;
    try {
      const pixels = new Map<string, number>();
      const result = await runPortraitPipeline(halfTextured(256), preset("portrait-natural"), { tileRunner: localRunner(pixels) });
      expect(result.models).toEqual(["esrgan-thick-x2", detail]);
      const share = (id: string) => pixels.get(id)! / (256 * 96);
      // The textured half (x 128..256; the last flat cell sees the first textured column), half
      // a cell (16 px) of hand-over and the model's context from the manifest (thick 8 px,
      // x4fast 24 px, x4plus 64 px: 128 + 32 + 16 + 8 = 184 of 256 columns for thick).
      expect(share("esrgan-thick-x2")).toBeGreaterThan(0.5);
      expect(share("esrgan-thick-x2")).toBeLessThanOrEqual(184 / 256);
      expect(share(detail)).toBeGreaterThan(0.5);
      expect(share(detail)).toBeLessThanOrEqual((128 + 32 + 16 + context) / 256);
    } finally {
      LIGHT_DETAIL.enabled = shipped;
    }
  });

  it("tells its planned model runs before running them: exactly the pixels each model then sees", async () => {
    const pixels = new Map<string, number>();
    const planned = new Map<string, number>();
    const calls: number[] = [];
    await runPortraitPipeline(halfTextured(256, 40), preset("portrait-natural"), {
      tileRunner: localRunner(pixels),
      maxTile: 1024,
      onPlanned: (pass, runs, faces) => {
        calls.push(pass, faces);
        expect(pixels.size).toBe(0);
        for (const run of runs) planned.set(run.modelId, (planned.get(run.modelId) ?? 0) + run.width * run.height);
      },
    });
    expect(calls).toEqual([0, 0]);
    expect([...planned.keys()]).toEqual(["esrgan-thick-x2", "realesrgan-x4plus"]);
    expect(planned).toEqual(pixels);
  });

  it("Fast Preview derives its fidelity branch from x4fast wherever x4fast runs: x4fast alone", async () => {
    const pixels = new Map<string, number>();
    const result = await runPortraitPipeline(halfTextured(), preset("fast-preview"), { tileRunner: localRunner(pixels) });
    expect(result.models).toEqual(["realesrgan-x4fast"]);
    expect([...pixels.keys()]).toEqual(["realesrgan-x4fast"]);
  });
});

/** A face about 40 source pixels wide across the flat and the textured half of a 120×96 {@link halfTextured}, keypoints only. */
const FACE: Face = {
  box: { x: 60, y: 22, width: 40, height: 48 },
  score: 0.9,
  keypoints: {
    rightEye: { x: 70, y: 38 },
    leftEye: { x: 90, y: 39 },
    noseTip: { x: 80, y: 50 },
    mouth: { x: 80, y: 60 },
    rightEar: { x: 60, y: 42 },
    leftEar: { x: 100, y: 43 },
  },
};

/** {@link FACE} with a (stand-in) Face Mesh and a matte hairline above it. */
const MESHED_FACE: Face = {
  ...FACE,
  mesh: spiralMesh(80, 46, 22),
  matteHairline: [
    { x: 58, y: 34 },
    { x: 70, y: 22 },
    { x: 90, y: 21 },
    { x: 102, y: 33 },
  ],
};

/** A pass around `face`; `lightGain` undefined: calibrated by the pass (default: a fixed gain, so windows change nothing). */
async function facePass(face: Face, scale: number, window: number | undefined, width = 120, lightGain: number | undefined = 2.5): Promise<{ image: RgbImage; models: readonly string[]; lightGain: number | null }> {
  const result = await runTiledPass({
    source: halfTextured(width, 24),
    scale,
    before: 1,
    faces: [face],
    settings: preset("portrait-natural"),
    tileRunner: localRunner(new Map()),
    maxTile: 256,
    onProgress: () => {},
    finishLuma: (y) => y,
    keepBranches: false,
    ...(window !== undefined ? { window } : {}),
    // One window's ring calibrates the gain (light-gain.ts); given, windows change nothing.
    ...(lightGain !== undefined ? { lightGain } : {}),
  });
  return { image: result.image!, models: result.models, lightGain: result.lightGain };
}

describe("the windowed pass around a face", () => {
  it.each([
    { kind: "keypoints", face: FACE, scale: 2, window: 40 },
    { kind: "keypoints", face: FACE, scale: 4, window: 40 },
    // A mesh at 2× is the case that caught misplaced mesh masks in windows (0.013 apart);
    // masks.test.ts checks every mask of a window exactly, at any scale.
    { kind: "a mesh", face: MESHED_FACE, scale: 2, window: 40 },
  ])("a face with $kind at $scale×: windows of $window source pixels give the whole-image result", async ({ face, scale, window }) => {
    const whole = (await facePass(face, scale, undefined)).image;
    const windowed = (await facePass(face, scale, window)).image;
    let worst = 0;
    for (let i = 0; i < whole.rgb.length; i++) worst = Math.max(worst, Math.abs(whole.rgb[i] - windowed.rgb[i]));
    expect(worst).toBeLessThanOrEqual(2 / 255);
  });

  it("x4plus on the face, x4fast on the texture beside it: windows of 40 source pixels give the whole-image result", async () => {
    // 200 px wide: the texture (x 100..200) reaches beyond the face's widened box (x 46..114).
    const shipped = LIGHT_DETAIL.enabled;
    LIGHT_DETAIL.enabled = true;
    const [whole, windowed] = await Promise.all([facePass(FACE, 2, undefined, 200), facePass(FACE, 2, 40, 200)]).finally(() => (LIGHT_DETAIL.enabled = shipped));
    expect(whole.models).toEqual(["esrgan-thick-x2", "realesrgan-x4fast", "realesrgan-x4plus"]);
    let worst = 0;
    for (let i = 0; i < whole.image.rgb.length; i++) worst = Math.max(worst, Math.abs(whole.image.rgb[i] - windowed.image.rgb[i]));
    expect(worst).toBeLessThanOrEqual(2 / 255);
  });

  it("calibrates one light gain for the whole pass: every window of 40 source pixels uses the one its ring gave", async () => {
    const calibrated = await facePass(FACE, 2, 40, 200, undefined);
    expect(calibrated.lightGain).not.toBeNull();
    expect(calibrated.lightGain).toBeGreaterThanOrEqual(1);
    const given = await facePass(FACE, 2, undefined, 200, calibrated.lightGain!);
    let worst = 0;
    for (let i = 0; i < given.image.rgb.length; i++) worst = Math.max(worst, Math.abs(given.image.rgb[i] - calibrated.image.rgb[i]));
    expect(worst).toBeLessThanOrEqual(2 / 255);
  });
});

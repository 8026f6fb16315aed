// The portrait result written window by window in its final bit depth gives the same bytes as
// the float result rounded at the end, on the real models with tiny images. Needs the worker
// bundle: `npm run build`.
import { afterAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { createInferencePool, tileRunner } from "../../src/inference/index";
import { decodeImage, encodeLike, encodePlanLike, encodeSamplesLike } from "../../src/image/codec";
import { planarToInterleaved } from "../../src/image/image";
import { sampleSink, type ResultSink, type SampleLayout } from "../../src/image/result-sink";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { PresetStore } from "../../src/presets/index";
import { portraitSettings, upscaleDecoded } from "../../src/upscale/index";
import { fixture, fixtureCrop, pixels } from "./support/images";
import { hasModel } from "./support/models";

const pool = createInferencePool({ provider: "cpu" });
afterAll(() => pool.close());

const MODELS = ["esrgan-thick-x2", "realesrgan-x4plus", "realesrgan-x4fast"];
const natural = (): PortraitSettings => resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!);

/** Hands every window (and the alpha) to each of `sinks`. */
function teeSink(sinks: readonly ResultSink[]): ResultSink {
  return {
    width: sinks[0].width,
    height: sinks[0].height,
    write: (rgb, view, owned) => sinks.forEach((sink) => sink.write(rgb, view, owned)),
    finish: (alpha) => sinks.forEach((sink) => sink.finish(alpha)),
  };
}

it("has the converted models it needs (npm install converts them)", () => expect(MODELS.every(hasModel)).toBe(true));

describe("a result written window by window in its final bit depth", () => {
  // Windows of 16 and 24 source pixels cut the 40×40 crop unevenly; 1024 is one window. x4fast
  // as the detail model keeps it quick: the sink sees windows, not which model made them.
  it.each([16, 24, 1024])(
    "window %i: the same samples as the float result rounded at the end (8 and 16 bits, grey, alpha, dither)",
    async (window) => {
      const image = await pixels(await fixtureCrop("astronaut-face-128.png", 40, 44, 30));
      // A soft alpha ramp on the right half: the sink writes alpha after the windows.
      const alpha = new Float32Array(40 * 40);
      for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) alpha[y * 40 + x] = x < 20 ? 1 : (40 - x) / 20;
      const source = { ...image, alpha };
      const settings: PortraitSettings = { ...natural(), models: { ...natural().models, detail: "x4fast" } };
      const deps = { tileRunner: (id: string) => tileRunner(pool, id), maxTile: 32, window };
      const float = await runPortraitPipeline(source, settings, deps);
      expect(float.models).toContain("realesrgan-x4fast");
      const layouts: SampleLayout[] = [
        { channels: 3, bitDepth: 8, dither: false },
        { channels: 3, bitDepth: 16, dither: false },
        { channels: 4, bitDepth: 16, dither: false },
        { channels: 4, bitDepth: 8, dither: true },
        { channels: 1, bitDepth: 8, dither: false },
      ];
      // One run feeds every layout's sink.
      const sinks = layouts.map((layout) => sampleSink(80, 80, layout));
      const sunk = await runPortraitPipeline(source, settings, { ...deps, sink: teeSink(sinks) });
      expect(sunk.image).toBeUndefined();
      for (const sink of sinks) {
        const { channels, bitDepth, dither } = sink.layout;
        const out = bitDepth === 16 ? new Uint16Array(sink.samples.length) : new Uint8Array(sink.samples.length);
        const expected = planarToInterleaved(float.image, channels, out, bitDepth === 16 ? 65535 : 255, { dither });
        expect(Buffer.from(sink.samples.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      }
    },
    600_000,
  );

  it.each([
    ["PNG 8-bit RGB", "png8"],
    ["PNG 16-bit RGB", "png16"],
    ["TIFF 16-bit RGBA", "tiff16a"],
    ["JPEG", "jpeg"],
    ["raw 16-bit RGBA", "raw16a"],
  ])("%s: the service's file is byte for byte the one the float path writes", async (_name, kind) => {
    const crop = sharp(fixture("astronaut-face-128.png")).extract({ left: 40, top: 28, width: 36, height: 36 }).removeAlpha();
    const withAlpha = crop.clone().ensureAlpha(0.6);
    const bytes =
      kind === "png8"
        ? await crop.png().toBuffer()
        : kind === "png16"
          ? await crop.toColourspace("rgb16").png().toBuffer()
          : kind === "tiff16a"
            ? await withAlpha.toColourspace("rgb16").tiff().toBuffer()
            : kind === "jpeg"
              ? await crop.jpeg({ quality: 90 }).toBuffer()
              : await withAlpha.toColourspace("rgb16").png().toBuffer();
    const decoded = await decodeImage(bytes);
    const presets = await PresetStore.open({ watch: "off" });
    try {
      const settings = portraitSettings(presets, { preset: "portrait-natural" });
      const format = kind === "raw16a" ? "raw" : undefined;
      const options = format ? { format } as const : {};
      const streamed = await upscaleDecoded(decoded, pool, settings, options);
      expect(streamed.image).toBeUndefined();
      // A review keeps the float result and encodes it at the end: the path before the sink.
      const float = await upscaleDecoded(decoded, pool, settings, { ...options, keepBranches: true });
      expect(float.image).toBeDefined();
      expect(Buffer.from(streamed.bytes).equals(Buffer.from(float.bytes))).toBe(true);
      expect(streamed.summary.output).toEqual(float.summary.output);
      // And the encoder alone: samples in, the same file as float in.
      const plan = encodePlanLike(decoded, options);
      const sink = sampleSink(float.image!.width, float.image!.height, plan.layout);
      sink.write(float.image!.rgb, { x: 0, y: 0, width: float.image!.width, height: float.image!.height }, { x: 0, y: 0, width: float.image!.width, height: float.image!.height });
      sink.finish(float.image!.alpha);
      const direct = await encodeSamplesLike(sink.samples, float.image!.width, float.image!.height, plan);
      expect(Buffer.from(direct).equals(Buffer.from(await encodeLike(float.image!, decoded, options)))).toBe(true);
    } finally {
      presets.close();
    }
  }, 600_000);
});

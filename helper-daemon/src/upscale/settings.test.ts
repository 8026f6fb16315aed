import { describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS, DEFAULT_PRESET_ID, PortraitError, resolvePreset } from "@portrait-upscale/shared";
import { parseUpscaleSettings, planModel, portraitSettings, type ModelChoice, type PresetResolver, type RawPortraitSettings, type Scale } from "./settings";
import { rejectEmptyPngHeader } from "./input-checks";

describe("parseUpscaleSettings", () => {
  it("fills defaults and accepts numbers given as strings", () => {
    expect(parseUpscaleSettings({})).toEqual({ model: "x4plus", scale: 4 });
    expect(parseUpscaleSettings({ model: "thick", scale: "3", tile: "96" })).toEqual({ model: "thick", scale: 3, tile: 96 });
    expect(Object.isFrozen(parseUpscaleSettings({ model: "x4fast" }))).toBe(true);
  });

  it.each([
    [{ model: "x9" }, "MODEL_UNKNOWN", 'Expected one of x4plus, x4fast, thick for model but received "x9" of type string'],
    [{ scale: 5 }, "INVALID_OPTION", "Expected one of 2, 3, 4, 6, 8 for scale but received 5 of type number"],
    [{ scale: "4x" }, "INVALID_OPTION", 'Expected one of 2, 3, 4, 6, 8 for scale but received "4x" of type string'],
    [{ tile: 16 }, "INVALID_OPTION", "Expected an integer from 32 to 4096 for tile but received 16 of type number"],
    [{ tile: 64.5 }, "INVALID_OPTION", "Expected an integer from 32 to 4096 for tile but received 64.5 of type number"],
  ])("refuses %j with %s", (raw, code, message) => {
    let caught: unknown;
    try {
      parseUpscaleSettings(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PortraitError);
    expect((caught as PortraitError).code).toBe(code);
    expect((caught as PortraitError).message).toBe(message);
  });
});

describe("planModel", () => {
  it.each<[ModelChoice, Scale, string, number]>([
    ["x4plus", 2, "realesrgan-x4plus", 4],
    ["x4plus", 4, "realesrgan-x4plus", 4],
    ["x4plus", 8, "realesrgan-x4plus", 4],
    ["x4fast", 3, "realesrgan-x4fast", 4],
    ["x4fast", 6, "realesrgan-x4fast", 4],
    ["thick", 2, "esrgan-thick-x2", 2],
    ["thick", 3, "esrgan-thick-x3", 3],
    ["thick", 4, "esrgan-thick-x4", 4],
    ["thick", 6, "esrgan-thick-x4", 4],
    ["thick", 8, "esrgan-thick-x8", 8],
  ])("%s ×%d runs %s (native ×%d)", (model, scale, modelId, nativeScale) => {
    expect(planModel({ model, scale })).toMatchObject({ modelId, nativeScale, targetScale: scale });
  });
});

describe("rejectEmptyPngHeader", () => {
  it("throws INPUT_EMPTY for a PNG header with a zero dimension and ignores everything else", () => {
    const header = (width: number, height: number) => {
      const bytes = new Uint8Array(33);
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
      new DataView(bytes.buffer).setUint32(16, width);
      new DataView(bytes.buffer).setUint32(20, height);
      return bytes;
    };
    expect(() => rejectEmptyPngHeader(header(0, 10))).toThrow(expect.objectContaining({ code: "INPUT_EMPTY" }));
    expect(() => rejectEmptyPngHeader(header(10, 0))).toThrow(expect.objectContaining({ code: "INPUT_EMPTY" }));
    expect(() => rejectEmptyPngHeader(header(10, 10))).not.toThrow();
    expect(() => rejectEmptyPngHeader(new TextEncoder().encode("GIF89a not a png at all, really"))).not.toThrow();
  });
});

describe("portraitSettings", () => {
  const presets: PresetResolver = {
    resolve(id, overrides) {
      if (id === "studio-locked") return resolvePreset({ ...BUILT_IN_PRESETS[0], id, locked: true }, overrides);
      const preset = BUILT_IN_PRESETS.find((p) => p.id === (id ?? DEFAULT_PRESET_ID));
      if (!preset) throw new PortraitError("PRESET_UNKNOWN", `no ${id}`);
      return resolvePreset(preset, overrides);
    },
  };

  it("runs the default preset with its scale and detail model when nothing is named", () => {
    const settings = portraitSettings(presets, {});
    expect(settings).toMatchObject({ model: "x4plus", scale: 2, portrait: { presetId: DEFAULT_PRESET_ID, creativity: 0.3 } });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it("applies overrides given as strings; thick alone has no detail model", () => {
    const settings = portraitSettings(presets, { preset: "fast-preview", scale: "4", creativity: "0.2", model: "thick", tile: "64" });
    expect(settings).toMatchObject({ model: "thick", scale: 4, tile: 64, portrait: { presetId: "fast-preview", scale: 4, creativity: 0.2, models: { detail: null } } });
  });

  it.each<[RawPortraitSettings, string, string]>([
    [{ creativity: "1.5" }, "INVALID_OPTION", 'Expected a number from 0 to 1 for creativity but received "1.5" of type string'],
    [{ scale: 5 }, "INVALID_OPTION", "Expected one of 2, 3, 4, 6, 8 for scale but received 5 of type number"],
    [{ model: "x9" }, "MODEL_UNKNOWN", 'Expected one of x4plus, x4fast, thick for model but received "x9" of type string'],
    [{ tile: 8 }, "INVALID_OPTION", "Expected an integer from 32 to 4096 for tile but received 8 of type number"],
    [{ preset: "studio-locked", denoise: 0.5 }, "PRESET_LOCKED", "The preset studio-locked is locked; it refuses overrides of denoise."],
  ])("refuses %j with %s", (raw, code, message) => {
    expect(() => portraitSettings(presets, raw)).toThrow(expect.objectContaining({ code, message }));
  });
});

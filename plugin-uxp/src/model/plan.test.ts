import { describe, expect, it } from "vitest";
import { PanelError } from "../panel-errors";
import type { DocumentInfo } from "../photoshop/adapter";
import { resultLayerName, resultPlacement, sizeReadout, upscaleSource } from "./plan";
import { DEFAULT_SETTINGS, parseStoredSettings } from "./settings";

const layer = { id: 2, name: "Face", kind: "pixel" as const, bounds: { left: 10, top: 20, right: 58, bottom: 68 } };
const doc: DocumentInfo = { id: 1, title: "Portrait", width: 100, height: 80, resolution: 300, bitDepth: 8, mode: "rgb", activeLayer: layer };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as PanelError).code;
  }
  return "none";
}

describe("upscale plan", () => {
  it("shows the resulting size", () => {
    expect(sizeReadout(1024, 1536, 4)).toBe("1024 × 1536 → 4096 × 6144 px, 25 MP");
    expect(sizeReadout(48, 48, 2)).toBe("48 × 48 → 96 × 96 px, 0.01 MP");
    expect(sizeReadout(1000, 1000, 2)).toBe("1000 × 1000 → 2000 × 2000 px, 4 MP");
    expect(sizeReadout(1200, 1000, 2)).toBe("1200 × 1000 → 2400 × 2000 px, 4.8 MP");
  });

  it("names the new layer after the source, scale and preset", () => {
    expect(resultLayerName("Face", 4, "Natural Portrait")).toBe("Face ×4 (Natural Portrait)");
  });

  it("reads the layer within the canvas and the selection", () => {
    expect(upscaleSource(doc).area).toEqual(layer.bounds);
    expect(upscaleSource({ ...doc, selection: { left: 30, top: 0, right: 90, bottom: 40 } }).area).toEqual({ left: 30, top: 20, right: 58, bottom: 40 });
    expect(upscaleSource({ ...doc, activeLayer: { ...layer, bounds: { left: -20, top: 70, right: 30, bottom: 120 } } }).area).toEqual({
      left: 0,
      top: 70,
      right: 30,
      bottom: 80,
    });
  });

  it("refuses what it cannot upscale, by code", () => {
    expect(codeOf(() => upscaleSource(undefined))).toBe("NO_DOCUMENT");
    expect(codeOf(() => upscaleSource({ ...doc, bitDepth: 32 }))).toBe("DOCUMENT_32_BIT");
    expect(codeOf(() => upscaleSource({ ...doc, mode: "other" }))).toBe("DOCUMENT_MODE_UNSUPPORTED");
    expect(codeOf(() => upscaleSource({ ...doc, activeLayer: undefined }))).toBe("NO_PIXEL_LAYER");
    expect(codeOf(() => upscaleSource({ ...doc, activeLayer: { ...layer, kind: "other" } }))).toBe("NO_PIXEL_LAYER");
    expect(codeOf(() => upscaleSource({ ...doc, selection: { left: 70, top: 0, right: 90, bottom: 10 } }))).toBe("INPUT_EMPTY");
  });

  it("places the result exactly for each mode", () => {
    const source = { left: 10, top: 20, right: 58, bottom: 68 };
    expect(resultPlacement("keep", doc, source, 4)).toEqual({ target: source });
    expect(resultPlacement("enlarge", doc, source, 4)).toEqual({
      documentSize: { width: 400, height: 320 },
      target: { left: 40, top: 80, right: 232, bottom: 272 },
    });
    expect(resultPlacement("new-document", doc, source, 2)).toEqual({
      documentSize: { width: 96, height: 96 },
      target: { left: 0, top: 0, right: 96, bottom: 96 },
    });
  });
});

describe("stored settings", () => {
  it("keeps valid fields and replaces the rest with defaults", () => {
    expect(parseStoredSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(parseStoredSettings("not json")).toEqual(DEFAULT_SETTINGS);
    const parsed = parseStoredSettings(JSON.stringify({ port: 8123, scale: 5, creativity: 2, placement: "enlarge", host: "studio-box.local" }));
    expect(parsed).toEqual({ ...DEFAULT_SETTINGS, port: 8123, placement: "enlarge", host: "studio-box.local" });
  });

  it("keeps the secure switch (wss://) only as a boolean; older settings connect in the clear", () => {
    expect(DEFAULT_SETTINGS.secure).toBe(false);
    expect(parseStoredSettings(JSON.stringify({ secure: true })).secure).toBe(true);
    expect(parseStoredSettings(JSON.stringify({ secure: "yes" })).secure).toBe(false);
  });
});

import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { failure } from "./failure";
import {
  BUILT_IN_PRESETS,
  DEFAULT_PRESET_ID,
  type Preset,
  builtInPresetEntries,
  checkPresetFileName,
  mergePresetSources,
  parsePreset,
  resolvePreset,
  summarizePreset,
} from "../src/presets";
import { parse } from "../src/schema";
import { presetSummarySchema } from "../src/protocol";

const presetsDir = fileURLToPath(new URL("../presets/", import.meta.url));
const byId = (id: string): Preset => {
  const preset = BUILT_IN_PRESETS.find((candidate) => candidate.id === id);
  if (!preset) throw new Error(`no built-in ${id}`);
  return preset;
};
const locked: Preset = { ...byId("portrait-print-4x"), id: "studio-catalogue", locked: true };

describe("built-in presets", () => {
  it("are every file in shared/presets/, each valid and named after its id", () => {
    const files = readdirSync(presetsDir).filter((name) => name.endsWith(".json")).sort();
    expect(files.map((name) => name.replace(/\.json$/, ""))).toEqual(BUILT_IN_PRESETS.map((preset) => preset.id).sort());
    for (const name of files) {
      const preset = parsePreset(JSON.parse(readFileSync(presetsDir + name, "utf8")));
      checkPresetFileName(preset, name.replace(/\.json$/, ""));
      expect(preset).toEqual(byId(preset.id));
    }
  });

  it("include the default, with the values the portrait guide recommends", () => {
    expect(byId(DEFAULT_PRESET_ID)).toMatchObject({ name: "Portrait — Natural", creativity: 0.3, resemblance: 0.85, denoise: 0.1, scale: 2, locked: false });
  });

  it("each do what their name promises", () => {
    expect(byId("portrait-print-4x")).toMatchObject({ scale: 4, twoPass: true });
    expect(byId("headshot-hair-lashes").regions.eyes).toBeGreaterThan(byId(DEFAULT_PRESET_ID).regions.eyes);
    expect(byId("old-photo-jpeg-cleanup")).toMatchObject({ cleanup: true });
    expect(byId("old-photo-jpeg-cleanup").creativity).toBeLessThanOrEqual(0.3);
    expect(byId("film-scan-keep-grain")).toMatchObject({ grain: true, denoise: 0 });
    expect(byId("fast-preview").models).toEqual({ fidelity: "thick", detail: "x4fast" });
    for (const preset of BUILT_IN_PRESETS) {
      expect(preset.creativity, preset.id).toBeLessThanOrEqual(0.35);
      expect(preset.resemblance, preset.id).toBeGreaterThanOrEqual(0.75);
      expect(preset.locked, preset.id).toBe(false);
    }
  });

  it("are frozen", () => {
    expect(Object.isFrozen(BUILT_IN_PRESETS)).toBe(true);
    expect(Object.isFrozen(BUILT_IN_PRESETS[0])).toBe(true);
  });
});

describe("parsePreset", () => {
  it("names the failing field with PRESET_INVALID", () => {
    const error = failure(() => parsePreset({ ...byId(DEFAULT_PRESET_ID), regions: { ...byId(DEFAULT_PRESET_ID).regions, skin: 2 } }));
    expect(error.code).toBe("PRESET_INVALID");
    expect(error.message).toBe("Expected a number from 0 to 1 for preset.regions.skin but received 2 of type number");
    expect(error.data?.path).toBe("preset.regions.skin");
  });

  it("checks the id against the file name", () => {
    const error = failure(() => checkPresetFileName(byId("fast-preview"), "quick"));
    expect(error.code).toBe("PRESET_INVALID");
    expect(error.message).toBe('Expected "quick" (the file\'s name without .json) for preset.id but received "fast-preview" of type string');
  });
});

describe("resolvePreset", () => {
  it("returns the preset's values without overrides", () => {
    expect(resolvePreset(byId(DEFAULT_PRESET_ID))).toEqual({
      presetId: "portrait-natural",
      scale: 2,
      models: { fidelity: "thick", detail: "x4plus" },
      creativity: 0.3,
      resemblance: 0.85,
      denoise: 0.1,
      regions: byId(DEFAULT_PRESET_ID).regions,
      cleanup: false,
      grain: false,
      twoPass: false,
      faceRestore: null,
    });
  });

  it("applies overrides, and `thick` means the fidelity model alone", () => {
    const settings = resolvePreset(byId(DEFAULT_PRESET_ID), { creativity: 0.2, resemblance: 0.9, denoise: 0, scale: 4, model: "x4fast" });
    expect(settings).toMatchObject({ creativity: 0.2, resemblance: 0.9, denoise: 0, scale: 4, models: { detail: "x4fast" } });
    expect(resolvePreset(byId(DEFAULT_PRESET_ID), { model: "thick" }).models).toEqual({ fidelity: "thick", detail: null });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it("refuses overrides of a locked preset, naming the fields", () => {
    const error = failure(() => resolvePreset(locked, { creativity: 0.5, scale: 2, resemblance: locked.resemblance }));
    expect(error.code).toBe("PRESET_LOCKED");
    expect(error.message).toBe("The preset studio-catalogue is locked; it refuses overrides of creativity, scale.");
    expect(error.data).toEqual({ preset: "studio-catalogue", fields: ["creativity", "scale"] });
  });

  it("lets a locked preset through when the overrides repeat its own values", () => {
    expect(resolvePreset(locked, { creativity: locked.creativity, scale: locked.scale, model: "x4plus" }).creativity).toBe(locked.creativity);
  });

  it("validates overrides with INVALID_OPTION", () => {
    const error = failure(() => resolvePreset(byId(DEFAULT_PRESET_ID), { denoise: 3 }));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toBe("Expected a number from 0 to 1 for overrides.denoise but received 3 of type number");
  });
});

describe("brought models in presets", () => {
  const studio: Preset = parsePreset({
    ...byId("portrait-natural"),
    id: "studio-own",
    models: { fidelity: "user:studio-fidelity", detail: "user:studio-x2" },
    faceRestore: { model: "user:faces", strength: 0.6 },
  });

  it("name them as user:NAME for either branch and for face restore", () => {
    const job = resolvePreset(studio);
    expect(job.models).toEqual({ fidelity: "user:studio-fidelity", detail: "user:studio-x2" });
    expect(job.faceRestore).toEqual({ model: "user:faces", strength: 0.6 });
    expect(summarizePreset(studio, "studio").values).toMatchObject({ model: "user:studio-x2", faceRestore: { model: "user:faces", strength: 0.6 } });
  });

  it("refuse a name that is not user:NAME, naming the field", () => {
    expect(failure(() => parsePreset({ ...studio, faceRestore: { model: "faces", strength: 0.5 } }))).toMatchObject({ code: "PRESET_INVALID", data: { path: "preset.faceRestore.model" } });
    expect(failure(() => parsePreset({ ...studio, models: { fidelity: "x4plus", detail: "x4plus" } }))).toMatchObject({ code: "PRESET_INVALID", data: { path: "preset.models.fidelity" } });
  });

  it("take face restore from the overrides: a model (strength 0.5 by default), a strength, or null for none", () => {
    const natural = byId("portrait-natural");
    expect(resolvePreset(natural).faceRestore).toBeNull();
    expect(resolvePreset(natural, { faceRestore: "user:faces" }).faceRestore).toEqual({ model: "user:faces", strength: 0.5 });
    expect(resolvePreset(studio, { faceRestoreStrength: 0.2 }).faceRestore).toEqual({ model: "user:faces", strength: 0.2 });
    expect(resolvePreset(studio, { faceRestore: null }).faceRestore).toBeNull();
    expect(failure(() => resolvePreset(natural, { faceRestoreStrength: 0.2 }))).toMatchObject({ code: "INVALID_OPTION", data: { name: "overrides.faceRestoreStrength" } });
  });

  it("are part of what a locked preset refuses to change", () => {
    const lockedOwn: Preset = { ...studio, locked: true };
    expect(failure(() => resolvePreset(lockedOwn, { faceRestore: null, faceRestoreStrength: 0.9 }))).toMatchObject({
      code: "PRESET_LOCKED",
      data: { fields: ["faceRestore", "faceRestoreStrength"] },
    });
    expect(resolvePreset(lockedOwn, { faceRestore: "user:faces", faceRestoreStrength: 0.6 }).faceRestore).toEqual({ model: "user:faces", strength: 0.6 });
  });
});

describe("preset sources", () => {
  it("summarise as the protocol's PresetSummary", () => {
    const summary = summarizePreset(locked, "studio");
    expect(parse(presetSummarySchema, summary, "summary")).toEqual(summary);
    expect(summary).toMatchObject({ id: "studio-catalogue", locked: true, source: "studio", values: { model: "x4plus", twoPass: true } });
  });

  it("merge with later sources winning for the same id", () => {
    const userNatural = { preset: { ...byId(DEFAULT_PRESET_ID), creativity: 0.2 }, source: "user" as const, path: "user/portrait-natural.json" };
    const studioNatural = { preset: { ...byId(DEFAULT_PRESET_ID), locked: true }, source: "studio" as const, path: "studio/portrait-natural.json" };
    const merged = mergePresetSources(builtInPresetEntries(), [userNatural], [studioNatural]);
    expect(merged.map((entry) => entry.preset.id)).toEqual(BUILT_IN_PRESETS.map((preset) => preset.id));
    expect(merged[0]).toBe(studioNatural);
    expect(mergePresetSources(builtInPresetEntries(), [userNatural])[0]).toBe(userNatural);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILT_IN_PRESETS, DEFAULT_PRESET_ID, PortraitError, type Preset } from "@portrait-upscale/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failure } from "@portrait-upscale/shared/test/failure";
import { PresetStore, readPresetFile } from "./store";

let root: string;
let userDir: string;
let studioDir: string;
const stores: PresetStore[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "presets-"));
  userDir = join(root, "user");
  studioDir = join(root, "studio");
  mkdirSync(userDir);
  mkdirSync(studioDir);
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  rmSync(root, { recursive: true, force: true });
});

const natural = BUILT_IN_PRESETS.find((preset) => preset.id === DEFAULT_PRESET_ID) as Preset;
const write = (dir: string, name: string, value: unknown) =>
  writeFileSync(join(dir, name), typeof value === "string" ? value : JSON.stringify(value, null, 2));

async function open(options: Parameters<typeof PresetStore.open>[0]): Promise<PresetStore> {
  const store = await PresetStore.open(options);
  stores.push(store);
  return store;
}

/** Resolves on the store's next change event. */
const nextChange = (store: PresetStore) => new Promise<void>((resolve) => { const off = store.onChange(() => { off(); resolve(); }); });

describe("PresetStore", () => {
  it("lists the built-ins when there are no folders", async () => {
    const store = await open({ watch: "off" });
    expect(store.list().map((entry) => entry.preset.id)).toEqual(BUILT_IN_PRESETS.map((preset) => preset.id));
    expect(store.list().every((entry) => entry.source === "built-in")).toBe(true);
    expect(store.problems()).toEqual([]);
    expect(store.defaultId()).toBe("portrait-natural");
  });

  it("accepts folders that do not exist yet", async () => {
    const store = await open({ userDir: join(root, "nope"), studioDir: join(root, "nor-this"), watch: "off" });
    expect(store.list()).toHaveLength(BUILT_IN_PRESETS.length);
    expect(store.problems()).toEqual([]);
  });

  it("merges built-in < user < studio for the same id, and adds new ids", async () => {
    write(userDir, "portrait-natural.json", { ...natural, creativity: 0.2 });
    write(userDir, "my-look.json", { ...natural, id: "my-look", name: "My look" });
    write(studioDir, "portrait-natural.json", { ...natural, creativity: 0.25, locked: true });
    const store = await open({ userDir, studioDir, watch: "off" });
    const entry = store.get("portrait-natural");
    expect(entry).toMatchObject({ source: "studio", path: join(studioDir, "portrait-natural.json") });
    expect(entry.preset).toMatchObject({ creativity: 0.25, locked: true });
    expect(store.get("my-look").source).toBe("user");
    expect(store.summaries().find((summary) => summary.id === "my-look")).toMatchObject({ name: "My look", source: "user" });
  });

  it("resolves presets with overrides, refusing those of a locked preset", async () => {
    write(studioDir, "catalogue.json", { ...natural, id: "catalogue", locked: true });
    const store = await open({ userDir, studioDir, watch: "off" });
    expect(store.resolve(undefined, { creativity: 0.2 })).toMatchObject({ presetId: "portrait-natural", creativity: 0.2 });
    expect(store.resolve("catalogue", {}).creativity).toBe(natural.creativity);
    const error = failure(() => store.resolve("catalogue", { denoise: 0.5 }));
    expect(error.code).toBe("PRESET_LOCKED");
    expect(error.message).toBe("The preset catalogue is locked; it refuses overrides of denoise.");
    expect(error.data).toEqual({ preset: "catalogue", fields: ["denoise"] });
  });

  it("reports an unknown id with the known ones", async () => {
    const store = await open({ watch: "off" });
    const error = failure(() => store.get("portrait-natral"));
    expect(error.code).toBe("PRESET_UNKNOWN");
    expect(error.message).toBe(
      'Expected one of portrait-natural, portrait-print-4x, headshot-hair-lashes, old-photo-jpeg-cleanup, film-scan-keep-grain, fast-preview for preset but received "portrait-natral"',
    );
  });

  it("skips a bad file, reporting its path and field, and keeps the others", async () => {
    write(userDir, "good.json", { ...natural, id: "good" });
    write(userDir, "bad-value.json", { ...natural, id: "bad-value", regions: { ...natural.regions, eyes: 3 } });
    write(userDir, "not-json.json", "{ creativity: 0.3 ");
    write(userDir, "renamed.json", { ...natural, id: "other-name" });
    write(userDir, "notes.txt", "not a preset");
    const reported: string[] = [];
    const store = await open({ userDir, watch: "off", onProblem: (problem) => reported.push(problem.path) });
    expect(store.get("good").source).toBe("user");
    const problems = store.problems();
    expect(problems.map((problem) => problem.path)).toEqual(
      ["bad-value.json", "not-json.json", "renamed.json"].map((name) => join(userDir, name)),
    );
    expect(problems[0]).toEqual({
      source: "user",
      path: join(userDir, "bad-value.json"),
      code: "PRESET_INVALID",
      message: `${join(userDir, "bad-value.json")}: Expected a number from 0 to 1 for preset.regions.eyes but received 3 of type number`,
      field: "preset.regions.eyes",
    });
    expect(problems[1].message).toMatch(/^.*not-json\.json: Expected JSON for preset but received text that does not parse \(/);
    expect(problems[2]).toMatchObject({ field: "preset.id" });
    expect(reported).toEqual(problems.map((problem) => problem.path));
    expect(failure(() => store.get("bad-value")).message).toContain(`(${join(userDir, "bad-value.json")} is not valid: `);
  });

  it("picks up changes on disk without a restart (fs.watch)", async () => {
    const store = await open({ userDir, studioDir, watch: "auto", debounceMs: 20 });
    let changed = nextChange(store);
    write(studioDir, "house.json", { ...natural, id: "house", locked: true });
    await changed;
    expect(store.get("house").source).toBe("studio");
    changed = nextChange(store);
    write(studioDir, "house.json", { ...natural, id: "house", scale: 9 });
    await changed;
    expect(() => store.get("house")).toThrow(PortraitError);
    expect(store.problems()[0]).toMatchObject({ field: "preset.scale", path: join(studioDir, "house.json") });
    changed = nextChange(store);
    rmSync(join(studioDir, "house.json"));
    await changed;
    expect(store.problems()).toEqual([]);
  });

  it("picks up changes by polling where watching is not possible", async () => {
    const later = join(root, "created-later");
    const store = await open({ userDir: later, watch: "auto", debounceMs: 10, pollIntervalMs: 20 });
    const changed = nextChange(store);
    mkdirSync(later);
    write(later, "late.json", { ...natural, id: "late" });
    await changed;
    expect(store.get("late").source).toBe("user");
  });

  it("polls when asked to", async () => {
    const store = await open({ userDir, watch: "poll", debounceMs: 10, pollIntervalMs: 20 });
    const changed = nextChange(store);
    write(userDir, "polled.json", { ...natural, id: "polled" });
    await changed;
    expect(store.get("polled").source).toBe("user");
  });

  it("refuses bad options with the one message template", async () => {
    await expect(PresetStore.open({ pollIntervalMs: 0 })).rejects.toThrow("Expected a number of at least 10 for pollIntervalMs but received 0 of type number");
  });
});

describe("readPresetFile", () => {
  it("reads a valid file", async () => {
    write(userDir, "portrait-natural.json", natural);
    expect(await readPresetFile(join(userDir, "portrait-natural.json"))).toEqual(natural);
  });

  it("names a missing file", async () => {
    const file = join(userDir, "missing.json");
    await expect(readPresetFile(file)).rejects.toMatchObject({ code: "PRESET_INVALID", message: `${file}: cannot be read (ENOENT)`, data: { file } });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILT_IN_PRESETS, ERROR_ADVICE } from "@portrait-upscale/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliCaptured } from "../../test/support/run-cli";

let root: string;
let configDir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "presets-cli-"));
  configDir = join(root, "config");
  mkdirSync(join(configDir, "presets"), { recursive: true });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const natural = BUILT_IN_PRESETS[0];

async function cli(...argv: string[]) {
  return runCliCaptured(argv, { cwd: root, env: { PORTRAIT_UPSCALE_CONFIG_DIR: configDir } });
}

describe("portrait-upscale presets", () => {
  it("lists built-in, user and studio presets, warning about bad files", async () => {
    const studio = join(root, "studio");
    mkdirSync(studio);
    writeFileSync(join(studio, "house.json"), JSON.stringify({ ...natural, id: "house", name: "House look", scale: 4, locked: true }));
    writeFileSync(join(configDir, "presets", "broken.json"), JSON.stringify({ ...natural, id: "broken", denoise: -1 }));
    writeFileSync(join(configDir, "config.json"), JSON.stringify({ studioPresetFolder: studio }));
    const { code, stdout, stderr } = await cli("presets", "list");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+SCALE\s+SOURCE\s+LOCKED$/);
    expect(lines[1]).toMatch(/^portrait-natural \(default\)\s+Portrait — Natural\s+2×\s+built-in$/);
    expect(lines.at(-1)).toMatch(/^house\s+House look\s+4×\s+studio\s+locked$/);
    expect(stderr).toBe(
      `warning: skipped ${join(configDir, "presets", "broken.json")}: Expected a number from 0 to 1 for preset.denoise but received -1 of type number\n`,
    );
  });

  it("lists as JSON", async () => {
    const { code, stdout } = await cli("presets", "list", "--json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: true, defaultPreset: "portrait-natural", problems: [] });
    expect(report.presets).toHaveLength(BUILT_IN_PRESETS.length);
    expect(report.presets[0]).toMatchObject({ id: "portrait-natural", source: "built-in", file: null });
  });

  it("shows one preset as a document, and its source on stderr", async () => {
    const { code, stdout, stderr } = await cli("presets", "show", "fast-preview");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(BUILT_IN_PRESETS.find((preset) => preset.id === "fast-preview"));
    expect(stderr).toBe("Fast Preview: built-in\n");
  });

  it("honours --studio-folder", async () => {
    mkdirSync(join(root, "team"));
    writeFileSync(join(root, "team", "portrait-natural.json"), JSON.stringify({ ...natural, locked: true }));
    const { stdout } = await cli("presets", "show", "portrait-natural", "--studio-folder", "team", "--json");
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, source: "studio", locked: true, file: join(root, "team", "portrait-natural.json") });
  });

  it("fails on an unknown id with exit code 2", async () => {
    const { code, stderr } = await cli("presets", "show", "nope");
    expect(code).toBe(2);
    expect(stderr).toMatch(/^portrait-upscale: PRESET_UNKNOWN: Expected one of portrait-natural, .* for preset but received "nope"\nadvice: .+\n$/);
  });

  it("validates files, with exit code 2 when one is invalid", async () => {
    writeFileSync(join(root, "good-one.json"), JSON.stringify({ ...natural, id: "good-one" }));
    writeFileSync(join(root, "bad-one.json"), JSON.stringify({ ...natural, id: "bad-one", models: { fidelity: "thick", detail: "x8" } }));
    const good = await cli("presets", "validate", "good-one.json");
    expect(good).toEqual({ code: 0, stdout: `${join(root, "good-one.json")}: valid (good-one, "Portrait — Natural")\n`, stderr: "" });
    const both = await cli("presets", "validate", "good-one.json", "bad-one.json");
    expect(both.code).toBe(2);
    expect(both.stderr).toBe(
      `PRESET_INVALID: ${join(root, "bad-one.json")}: Expected "x4plus", "x4fast" or "user:NAME" (a detail model added with \`portrait-upscale models add\`) for preset.models.detail but received "x8" of type string\n`,
    );
    const json = JSON.parse((await cli("presets", "validate", "bad-one.json", "--json")).stdout);
    expect(json.ok).toBe(false);
    expect(json.files[0].error).toMatchObject({ code: "PRESET_INVALID", data: { path: "preset.models.detail", file: join(root, "bad-one.json") } });
  });

  it("refuses an unknown sub-command", async () => {
    const { code, stderr } = await cli("presets", "delete");
    expect(code).toBe(2);
    expect(stderr).toBe(
      'portrait-upscale: INVALID_OPTION: Expected list, show or validate for the presets sub-command but received "delete"\n' +
        `advice: ${ERROR_ADVICE.INVALID_OPTION}\n`,
    );
  });
});

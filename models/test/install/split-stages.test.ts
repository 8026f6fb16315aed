// The manifest's split of x4plus: its facts are validated and resolved, and the installer cuts
// the stage files from the whole model, pinned by sha256, and keeps them when they verify.
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { findModel, findStage, installStages, loadManifest, modelDir, modelFacts, modelPath, validateFacts, type ModelEntry } from "../../src/index";

const manifest = loadManifest();
const x4plus = findModel(manifest, "realesrgan-x4plus");
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describe("split facts", () => {
  it("x4plus resolves to a 1× trunk of 64 channels and a ×4 tail", () => {
    const stages = modelFacts().byId("realesrgan-x4plus").stages!;
    expect(stages.map((stage) => [stage.id, stage.scale, stage.inputChannels, stage.outputChannels, stage.context])).toEqual([
      ["realesrgan-x4plus-trunk", 1, 3, 64, 64],
      ["realesrgan-x4plus-tail", 4, 64, 3, 4],
    ]);
    expect(modelPath("realesrgan-x4plus-tail")).toBe(join(modelDir(), "realesrgan-x4plus-tail.onnx"));
    expect(findStage(manifest, "realesrgan-x4plus-trunk")?.model.id).toBe("realesrgan-x4plus");
  });

  it.each([
    ["channels that do not chain", "stages[1].inputChannels"],
    ["a single stage", "split.stages"],
    ["no cut", "split.cut"],
  ] as const)("refuses %s", (what, field) => {
    const spoil = (split: Record<string, unknown>): void => {
      const stages = split.stages as Record<string, unknown>[];
      if (what === "channels that do not chain") stages[1].inputChannels = 32;
      else if (what === "a single stage") split.stages = stages.slice(0, 1);
      else delete split.cut;
    };
    const facts = structuredClone(x4plus.facts) as unknown as Record<string, Record<string, unknown>>;
    spoil(facts.split);
    try {
      validateFacts(facts, "x4plus.facts");
      expect.unreachable();
    } catch (error) {
      expect((error as PortraitError).code).toBe("INVALID_OPTION");
      expect((error as PortraitError).message).toContain(field);
    }
  });
});

describe("installStages", () => {
  async function folderWithWholeModel(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "split-stages-"));
    dirs.push(dir);
    await copyFile(join(modelDir(), x4plus.onnx.file), join(dir, x4plus.onnx.file));
    return dir;
  }

  it("cuts both stages, then keeps them when they verify", async () => {
    const dir = await folderWithWholeModel();
    expect((await installStages(x4plus, dir)).map((result) => [result.id, result.action])).toEqual([
      ["realesrgan-x4plus-trunk", "installed"],
      ["realesrgan-x4plus-tail", "installed"],
    ]);
    await writeFile(join(dir, "realesrgan-x4plus-tail.onnx"), new Uint8Array(10));
    expect((await installStages(x4plus, dir)).map((result) => result.action)).toEqual(["skipped", "installed"]);
    expect((await readFile(join(dir, "realesrgan-x4plus-tail.onnx"))).length).toBe(x4plus.facts!.split!.stages[1].bytes);
  }, 120_000);

  it("refuses a stage whose cut does not match the pinned hash", async () => {
    const dir = await folderWithWholeModel();
    const split = x4plus.facts!.split!;
    const wrong = { ...x4plus, facts: { ...x4plus.facts!, split: { ...split, stages: [split.stages[0], { ...split.stages[1], sha256: "0".repeat(64) }] } } } as ModelEntry;
    await expect(installStages(wrong, dir)).rejects.toMatchObject({ code: "MODEL_CONVERSION_FAILED" });
  }, 120_000);
});

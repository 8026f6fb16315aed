// Which file each provider runs, from the manifest's `variants`, and the lazy making of a
// variant from the verified fp32 file (pinned hash, no temporary files left).
import { PortraitError } from "@portrait-upscale/shared";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureVariant, findModel, loadManifest, modelPath, sha256Hex, validateVariants, variantFor, type ModelEntry } from "../../src/index";
import { readFileSync } from "node:fs";

const manifest = loadManifest();

describe("variantFor: the one place that picks a model's file per provider", () => {
  it.each([
    ["realesrgan-x4plus", "cpu", undefined],
    ["realesrgan-x4plus", "cuda", "realesrgan-x4plus.fp16.onnx"],
    ["realesrgan-x4plus", "dml", "realesrgan-x4plus.fp16.onnx"],
    ["realesrgan-x4plus", "coreml", "realesrgan-x4plus.fp16.onnx"],
    ["realesrgan-x4plus", "webgpu", undefined],
    ["esrgan-thick-x2", "cuda", "esrgan-thick-x2.fp16.onnx"],
    ["realesrgan-x4fast", "dml", "realesrgan-x4fast.fp16.onnx"],
    ["blazeface-front-128", "cuda", undefined],
    ["blazeface-back-256", "coreml", undefined],
  ])("%s on %s runs %s", (id, provider, file) => {
    expect(variantFor(findModel(manifest, id), provider)?.file).toBe(file);
  });

  it("every super-resolution model has an fp16 variant; detectors stay fp32", () => {
    for (const model of manifest.models) {
      expect(model.variants?.map((variant) => variant.precision) ?? []).toEqual(model.task === "super-resolution" ? ["fp16"] : []);
    }
  });
});

describe("validateVariants", () => {
  const good = { precision: "fp16", file: "m.fp16.onnx", sha256: "a".repeat(64), bytes: 10, providers: ["cuda"] };
  it.each([
    [{ ...good, precision: "int4" }, 'Expected "fp16" for v[0].precision'],
    [{ ...good, file: "../m.onnx" }, "Expected a plain file name ending in .onnx for v[0].file"],
    [{ ...good, providers: ["cpu"] }, 'Expected one of "cuda", "dml", "coreml", "webgpu" for v[0].providers[0]'],
    [{ ...good, providers: [] }, "Expected an array of at least 1 items for v[0].providers"],
  ])("rejects %j", (variant, message) => {
    expect(() => validateVariants([variant], "v")).toThrow(message);
  });

  it("rejects two variants for one provider", () => {
    expect(() => validateVariants([good, { ...good, file: "n.fp16.onnx" }], "v")).toThrow("Expected a provider no other variant claims for v[1].providers[0]");
  });
});

describe("ensureVariant", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const model = findModel(manifest, "realesrgan-x4fast");
  const variant = model.variants![0];
  function folderWithFp32(): string {
    dir = mkdtempSync(join(tmpdir(), "pu-variants-"));
    copyFileSync(modelPath(model.id), join(dir, model.onnx.file));
    return dir;
  }

  it("makes the variant once, remakes a damaged one, and leaves no temporary file", async () => {
    const folder = folderWithFp32();
    const path = await ensureVariant(model, variant, folder);
    expect(path).toBe(join(folder, "realesrgan-x4fast.fp16.onnx"));
    expect(sha256Hex(readFileSync(path))).toBe(variant.sha256);
    writeFileSync(path, "damaged");
    await ensureVariant(model, variant, folder);
    expect(sha256Hex(readFileSync(path))).toBe(variant.sha256);
    expect(readdirSync(folder).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("says MODEL_MISSING when the fp32 file is not there", async () => {
    dir = mkdtempSync(join(tmpdir(), "pu-variants-"));
    await expect(ensureVariant(model, variant, dir)).rejects.toMatchObject({ code: "MODEL_MISSING" });
  });

  it("says MODEL_CORRUPT and writes nothing when the result does not match the pinned hash", async () => {
    const folder = folderWithFp32();
    const wrong = { ...variant, sha256: "0".repeat(64) };
    const error: unknown = await ensureVariant(model as ModelEntry, wrong, folder).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PortraitError);
    expect(error).toMatchObject({ code: "MODEL_CORRUPT", data: { reason: "variant hash mismatch" } });
    expect(readdirSync(folder).filter((name) => !name.startsWith(".") || name.endsWith(".tmp"))).toEqual([model.onnx.file]);
  });
});

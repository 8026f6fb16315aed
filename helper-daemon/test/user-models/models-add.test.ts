// `models add` on tiny generated models of each role: the probe's findings (scale, range,
// opset) and the record in the folder, and a clear INVALID_OPTION for files that do not fit.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "@portrait-upscale/models";
import { onnxFacts } from "../../src/user-models/onnx-facts";
import { readUserModels, userModelFolder } from "../../src/user-models/registry";
import { runCliCaptured } from "../support/run-cli";
import { affineFaceRestorer, nearestUpscaler } from "./tiny-models";

const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

async function workspace(): Promise<{ dir: string; env: NodeJS.ProcessEnv; write: (name: string, bytes: Uint8Array) => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), "models-add-"));
  folders.push(dir);
  const env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(dir, "config") };
  return {
    dir,
    env,
    write: async (name, bytes) => {
      await writeFile(join(dir, name), bytes);
      return name;
    },
  };
}

describe("onnxFacts", () => {
  it("reads the opset and the image tensors' shapes of a generated model", () => {
    const facts = onnxFacts(nearestUpscaler(2, { opset: 15 }));
    expect(facts.opset).toBe(15);
    expect(facts.inputs).toEqual([{ name: "input", elementType: 1, shape: [1, 3, "height", "width"] }]);
    expect(facts.outputs).toEqual([{ name: "output", elementType: 1, shape: [1, 3, "out_height", "out_width"] }]);
  });

  it("says what is wrong with bytes that are not a model", () => {
    expect(() => onnxFacts(new Uint8Array([0x0a, 0x05, 1]))).toThrow("truncated field");
  });
});

describe("models add", () => {
  it("adds a ×2 detail model: probed scale, range and opset, sha256 and licence recorded", async () => {
    const { dir, env, write } = await workspace();
    const bytes = nearestUpscaler(2);
    const file = await write("My Studio x2.onnx", bytes);
    const run = await runCliCaptured(["models", "add", file, "--role", "detail", "--licence", "CC-BY-4.0, trained in house", "--json"], { cwd: dir, env });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    const folder = userModelFolder(join(dir, "config"));
    expect(printed.folder).toBe(folder);
    expect(printed.model).toMatchObject({ name: "my-studio-x2", role: "detail", nativeScale: 2, range: [0, 1], opset: 17, licence: "CC-BY-4.0, trained in house", sha256: sha256Hex(bytes) });
    const [record] = await readUserModels(folder);
    expect(record).toEqual(printed.model);
    expect(sha256Hex(await readFile(join(folder, record.file)))).toBe(record.sha256);
  });

  it("adds a ×4 fidelity model under the given name, and refuses the name twice", async () => {
    const { dir, env, write } = await workspace();
    const file = await write("x4.onnx", nearestUpscaler(4));
    const args = ["models", "add", file, "--role", "fidelity", "--name", "studio-fidelity", "--licence", "MIT"];
    expect((await runCliCaptured(args, { cwd: dir, env })).stdout).toMatch(/^Added user:studio-fidelity \(fidelity, ×4, opset 17, values 0\.\.1\)/);
    const again = await runCliCaptured(args, { cwd: dir, env });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/INVALID_OPTION.*--name/);
    expect((await runCliCaptured([...args, "--replace"], { cwd: dir, env })).code).toBe(0);
  });

  it("adds a 512×512 face restorer and finds its value range", async () => {
    const { dir, env, write } = await workspace();
    const file = await write("restore.onnx", affineFaceRestorer(1, 0));
    const run = await runCliCaptured(["models", "add", file, "--role", "face-restore", "--licence", "Apache-2.0", "--json"], { cwd: dir, env });
    expect(run.code).toBe(0);
    const model = JSON.parse(run.stdout).model;
    expect(model).toMatchObject({ name: "restore", role: "face-restore", nativeScale: 1, range: [-1, 1] });
    // Never tiled, so no context; timed at its one size against the reference at 128².
    expect(model.measurements).toMatchObject([{ provider: "cpu", context: 0 }]);
    expect(model.measurements[0].method).toContain("peak RSS of whole-image runs at 512², median time at 512², time per pixel at the largest against realesrgan-x4fast (128²)");
  });

  it.each([
    ["an old opset", nearestUpscaler(2, { opset: 11 }), "detail", "opset 11 is older than 13"],
    ["a fixed tile size", nearestUpscaler(2, { fixedSize: 16 }), "detail", "has a fixed size (1×3×16×16)"],
    ["values in 0..255", nearestUpscaler(2, { gain: 255 }), "detail", "its output spans 20.40..229.50 for an input in 0..1"],
    ["an upscaler as a face restorer", nearestUpscaler(2), "face-restore", "it returned a [1, 3, 1024, 1024] tensor; a 512×512 RGB face is expected"],
    ["a face restorer as an upscaler", affineFaceRestorer(1, 0), "fidelity", "has a fixed size (1×3×512×512)"],
    ["bytes that are not a model", new TextEncoder().encode("not a model at all"), "detail", "the file is not an ONNX model"],
  ])("refuses %s with INVALID_OPTION and the reason", async (_what, bytes, role, reason) => {
    const { dir, env, write } = await workspace();
    const file = await write("bad.onnx", bytes);
    const run = await runCliCaptured(["models", "add", file, "--role", role, "--licence", "MIT", "--json"], { cwd: dir, env });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("INVALID_OPTION");
    expect(run.stderr).toContain(reason);
    expect(await readUserModels(userModelFolder(join(dir, "config")))).toEqual([]);
  });

  it("asks for a licence note and a known role", async () => {
    const { dir, env, write } = await workspace();
    const file = await write("x2.onnx", nearestUpscaler(2));
    expect((await runCliCaptured(["models", "add", file, "--role", "detail"], { cwd: dir, env })).stderr).toContain("--licence");
    expect((await runCliCaptured(["models", "add", file, "--role", "colour", "--licence", "MIT"], { cwd: dir, env })).stderr).toContain(
      "detail, fidelity, face-restore",
    );
  });
});

// Every file the daemon writes (config, client tokens, calibration, brought models and their
// records, reviews, results) is written atomically: after a failed write the folder holds what
// it held before and no temporary, and files meant for the user alone stay 0600.
import fs from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createClientToken, readClientTokens } from "../../src/clients/client-tokens";
import { CONFIG_VERSION, stampConfigVersion } from "../../src/config/config";
import { calibrationFile, readCalibration, writeCalibration } from "../../src/cost/calibration";
import { writeReview } from "../../src/review/write-review";
import { openOutput } from "../../src/upscale/output-file";
import { addUserModel, readUserModels, recordMeasurement, USER_MODELS_FILE } from "../../src/user-models/registry";

const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));
afterEach(() => vi.restoreAllMocks());

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pu-atomic-"));
  folders.push(dir);
  return dir;
}

/** Makes every rename fail as a full or failing disk would, after the temporary is written. */
function failRenames(): void {
  vi.spyOn(fs, "rename").mockImplementation(((_from: string, _to: string, done: (error: Error) => void) => {
    done(Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" }));
  }) as typeof fs.rename);
}

const probed = { role: "detail", opset: 17, inputName: "input", outputName: "output", nativeScale: 2, range: [0, 1] } as const;
const modelInput = (dir: string, name: string) => ({ folder: dir, name, path: join(dir, "source.onnx"), bytes: new Uint8Array([1, 2, 3, 4]), probed, licence: "test weights" });
const measurement = { provider: "cpu", secondsPerInputMegapixel: 1 } as never;

describe("a failed write leaves the earlier file and no temporary", () => {
  it("config.json: the version stamp", async () => {
    const dir = await folder();
    const before = `${JSON.stringify({ port: 9000 })}\n`;
    await writeFile(join(dir, "config.json"), before);
    failRenames();
    await expect(stampConfigVersion(dir)).rejects.toMatchObject({ code: "EIO" });
    expect(await readdir(dir)).toEqual(["config.json"]);
    expect(await readFile(join(dir, "config.json"), "utf8")).toBe(before);
  });

  it("client-tokens.json: a new token", async () => {
    const dir = await folder();
    await createClientToken(dir, "desk-1");
    failRenames();
    await expect(createClientToken(dir, "desk-2")).rejects.toMatchObject({ code: "EIO" });
    expect(await readdir(dir)).toEqual(["client-tokens.json"]);
    expect((await readClientTokens(dir)).map((client) => client.name)).toEqual(["desk-1"]);
  });

  it("calibration.json: the target is taken by a folder", async () => {
    const dir = await folder();
    await mkdir(calibrationFile(dir));
    await expect(writeCalibration(dir, { factors: { cpu: 2 } })).rejects.toMatchObject({ code: "EISDIR" });
    expect(await readdir(dir)).toEqual(["calibration.json"]);
    expect(await readdir(calibrationFile(dir))).toEqual([]);
  });

  it("a brought model's file: OUTPUT_UNWRITABLE naming the folder", async () => {
    const dir = await folder();
    await mkdir(join(dir, "studio-x2.onnx"));
    await expect(addUserModel(modelInput(dir, "studio-x2"))).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE", data: { path: dir } });
    expect(await readdir(dir)).toEqual(["studio-x2.onnx"]);
  });

  it("models.json: a measurement", async () => {
    const dir = await folder();
    await addUserModel(modelInput(dir, "studio-x2"));
    const before = await readFile(join(dir, USER_MODELS_FILE), "utf8");
    failRenames();
    await expect(recordMeasurement(dir, "studio-x2", measurement)).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE", data: { path: dir } });
    expect((await readdir(dir)).sort()).toEqual([USER_MODELS_FILE, "studio-x2.onnx"]);
    expect(await readFile(join(dir, USER_MODELS_FILE), "utf8")).toBe(before);
  });

  it("a result file: OUTPUT_UNWRITABLE naming it, and nothing left once discarded", async () => {
    const dir = await folder();
    await mkdir(join(dir, "out.png"));
    const output = await openOutput(join(dir, "out.png"));
    expect((await readdir(dir)).length).toBe(2);
    await expect(output.commit(new Uint8Array(1))).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE", data: { path: join(dir, "out.png") } });
    await output.discard();
    expect(await readdir(dir)).toEqual(["out.png"]);
  });

  it("review.json: OUTPUT_UNWRITABLE naming the file", async () => {
    const dir = await folder();
    await mkdir(join(dir, "review.json"));
    await expect(writeReview(dir, { verdict: "pass" } as never, new Uint8Array(1))).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE", data: { path: join(dir, "review.json") } });
    expect(await readdir(dir)).toEqual(["review.json"]);
  });
});

describe("written files", () => {
  it("the brought model holds the probed bytes, and its record their sha256", async () => {
    const dir = await folder();
    const input = modelInput(dir, "studio-x2");
    const record = await addUserModel(input);
    expect(new Uint8Array(await readFile(join(dir, record.file)))).toEqual(input.bytes);
    expect((await readUserModels(dir)).map((model) => model.sha256)).toEqual([record.sha256]);
  });

  it.runIf(process.platform !== "win32")("client-tokens.json and config.json are 0600 whatever the umask and the earlier file's mode", async () => {
    const dir = await folder();
    await writeFile(join(dir, "client-tokens.json"), '{ "clients": [] }\n', { mode: 0o644 });
    await writeFile(join(dir, "config.json"), "{}\n", { mode: 0o644 });
    await chmod(join(dir, "client-tokens.json"), 0o644);
    await chmod(join(dir, "config.json"), 0o644);
    const umask = process.umask(0);
    try {
      await createClientToken(dir, "desk-1");
      expect(await stampConfigVersion(dir)).toBe(CONFIG_VERSION);
    } finally {
      process.umask(umask);
    }
    expect((await stat(join(dir, "client-tokens.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "config.json"))).mode & 0o777).toBe(0o600);
  });

  it("the calibration reads back as written", async () => {
    const dir = await folder();
    await writeCalibration(dir, { factors: { "cuda:1": 4 } });
    expect(await readCalibration(dir)).toEqual({ factors: { "cuda:1": 4 } });
    expect(await readdir(dir)).toEqual(["calibration.json"]);
  });
});

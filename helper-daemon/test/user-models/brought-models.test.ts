// Brought models end to end, with tiny generated models of each role added by `models add`:
// a studio preset naming user:tiny-detail and user:tiny-fidelity runs from the command line;
// a preset naming a model that is not installed fails with USER_MODEL_MISSING and its advice;
// a daemon job restores the face with user:faces, changing pixels only inside the face mask
// (strength 0 gives the same bytes as no restore), and its review looks at the restored face;
// replacing a model's file changes the settings' hash, so a queue worker with another file of
// the same name refuses the job (PRESET_MISMATCH). The pool needs `npm run build`.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, reviewReportSchema } from "@portrait-upscale/shared";
import { alignmentOf, applySimilarity } from "../../src/face-restore/align";
import { scaleFace } from "../../src/face-restore/pipeline-step";
import { faceMaskWeight } from "../../src/face-restore/restore-faces";
import { createInferencePool, type InferencePool } from "../../src/inference/index";
import { detectFaces, type Face } from "../../src/portrait/faces";
import { poolDetector } from "../../src/portrait/detector";
import { PresetStore } from "../../src/presets/index";
import { createCatalog, modelSummaries } from "../../src/server/catalog";
import { createUpscaleRunner } from "../../src/server/upscale-runner";
import { requestSettings, settingsHash } from "../../src/upscale/index";
import { useBroughtModelFolders } from "../../src/user-models/catalog";
import { startTestDaemon, type TestDaemon } from "../daemon/helpers";
import { fixturePath, hasModel, loadRgb } from "../portrait/support";
import { runCliCaptured } from "../support/run-cli";
import { readJobEvents } from "../support/job-events";
import { affineFaceRestorer, nearestUpscaler } from "./tiny-models";

const ready = ["blazeface-back-256", "blazeface-front-128"].every(hasModel);
it("has the face detector it needs (npm install converts it)", () => expect(ready).toBe(true));

const fixture = fixturePath("astronaut-face-128.png");
let dir: string;
let env: NodeJS.ProcessEnv;
let configDir: string;

/** A studio preset file in the user's preset folder. */
async function writePreset(id: string, models: { fidelity: string; detail: string }, extra: Record<string, unknown> = {}): Promise<void> {
  const base = JSON.parse(await readFile(new URL("../../../shared/presets/portrait-natural.json", import.meta.url), "utf8"));
  await mkdir(join(configDir, "presets"), { recursive: true });
  await writeFile(join(configDir, "presets", `${id}.json`), JSON.stringify({ ...base, id, name: id, models, denoise: 0, ...extra }));
}

async function addModel(name: string, role: string, bytes: Uint8Array, ...flags: string[]): Promise<void> {
  await writeFile(join(dir, `${name}.onnx`), bytes);
  const run = await runCliCaptured(["models", "add", `${name}.onnx`, "--role", role, "--licence", "generated for tests", ...flags], { cwd: dir, env });
  expect(run.stderr).toBe("");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "brought-models-"));
  configDir = join(dir, "config");
  env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: configDir };
  await addModel("tiny-detail", "detail", nearestUpscaler(2));
  await addModel("tiny-fidelity", "fidelity", nearestUpscaler(2));
  // Lowers the face's contrast: it passes the probe (the face follows its input) and shows where it pasted.
  await addModel("faces", "face-restore", affineFaceRestorer(0.7, 0));
  await writePreset("studio-own", { fidelity: "user:tiny-fidelity", detail: "user:tiny-detail" });
  await writePreset("studio-absent", { fidelity: "thick", detail: "user:absent" });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("the command line with brought models", () => {
  it("runs a preset naming user:tiny-detail and user:tiny-fidelity, and says so", async () => {
    const run = await runCliCaptured(["upscale", fixture, "--preset", "studio-own", "-o", "out.png", "--json"], { cwd: dir, env });
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.models).toEqual(expect.arrayContaining(["user:tiny-fidelity", "user:tiny-detail"]));
    expect(summary.models).not.toContain("realesrgan-x4plus");
    const meta = await sharp(join(dir, "out.png")).metadata();
    expect([meta.width, meta.height]).toEqual([256, 256]);
  });

  it("refuses a preset naming a model that is not installed with USER_MODEL_MISSING (exit 5) and how to add it", async () => {
    const run = await runCliCaptured(["upscale", fixture, "--preset", "studio-absent", "-o", "absent.png", "--json"], { cwd: dir, env });
    expect(run.code).toBe(5);
    const { error } = JSON.parse(run.stdout || run.stderr);
    expect(error).toMatchObject({ code: "USER_MODEL_MISSING", data: { model: "user:absent", role: "detail", field: "models.detail" } });
    expect(error.message).toContain("portrait-upscale models add FILE.onnx --role detail --name absent");
  });

  it("refuses a model of another role with INVALID_OPTION (exit 2)", async () => {
    const run = await runCliCaptured(["upscale", fixture, "--preset", "studio-own", "--face-restore", "tiny-detail", "-o", "x.png"], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Expected a face-restore model for faceRestore.model but received user:tiny-detail, a detail model");
  });
});

describe("a daemon job with face restore", () => {
  let pool: InferencePool;
  let presets: PresetStore;
  let daemon: TestDaemon;
  let face: Face;

  beforeAll(async () => {
    pool = createInferencePool({ provider: "cpu", intraOpThreads: 2 });
    presets = await PresetStore.open({ userDir: join(configDir, "presets"), watch: "off" });
    useBroughtModelFolders(configDir, null);
    daemon = await startTestDaemon({
      runner: createUpscaleRunner(pool, presets, { maxInputPixels: 64_000_000, maxOutputPixels: 1_100_000_000 }),
      catalog: createCatalog(pool, presets, await modelSummaries()),
    });
    [face] = await detectFaces(await loadRgb(fixture), poolDetector(pool));
  });
  afterAll(async () => {
    await daemon?.stop();
    presets?.close();
    await pool?.close();
  });

  /** Runs a job and returns its result's RGB bytes (and its id). */
  async function job(query: string): Promise<{ id: string; rgb: Buffer }> {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?preset=studio-own&${query}`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body: await readFile(fixture) });
    expect(created.status).toBe(202);
    const { id } = await created.json();
    const events = await readJobEvents(daemon, id);
    expect(events.at(-1)).toMatchObject({ type: "done" });
    const result = Buffer.from(await (await fetch(`${daemon.url}/v1/jobs/${id}/result?format=png`, { headers: auth })).arrayBuffer());
    return { id, rgb: await sharp(result).removeAlpha().raw().toBuffer() };
  }

  it("changes pixels only inside the face mask, and strength 0 gives the same bytes as no restore", async () => {
    const plain = await job("review=0");
    const restored = await job("faceRestore=faces&faceRestoreStrength=1");
    const none = await job("faceRestore=user:faces&faceRestoreStrength=0");
    expect(none.rgb.equals(plain.rgb)).toBe(true);

    const t = alignmentOf(scaleFace(face, 2));
    let inside = 0;
    let changedInside = 0;
    let changedOutside = 0;
    for (let y = 0; y < 256; y++)
      for (let x = 0; x < 256; x++) {
        const p = applySimilarity(t, { x: x + 0.5, y: y + 0.5 });
        const changed = [0, 1, 2].some((c) => restored.rgb[(y * 256 + x) * 3 + c] !== plain.rgb[(y * 256 + x) * 3 + c]);
        if (faceMaskWeight(p.x, p.y) === 0) changedOutside += changed ? 1 : 0;
        if (faceMaskWeight(p.x, p.y) === 1) {
          inside++;
          changedInside += changed ? 1 : 0;
        }
      }
    expect(changedOutside).toBe(0);
    expect(inside).toBeGreaterThan(2000);
    expect(changedInside / inside).toBeGreaterThan(0.5);
  });

  it("reviews the restored face: the review's crops differ from those of the same job without restore", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const sheets: Buffer[] = [];
    for (const query of ["review=1", "review=1&faceRestore=faces&faceRestoreStrength=1"]) {
      const { id } = await job(query);
      const report = parse(reviewReportSchema, await (await fetch(`${daemon.url}/v1/jobs/${id}/review`, { headers: auth })).json(), "report");
      expect(report.faces).toBe(1);
      sheets.push(await sharp(Buffer.from(await (await fetch(`${daemon.url}/v1/jobs/${id}/review.png`, { headers: auth })).arrayBuffer())).raw().toBuffer());
    }
    expect(sheets[0].length).toBe(sheets[1].length);
    expect(sheets[0].equals(sheets[1])).toBe(false);
  });

  it("lists the brought models in /v1/info with their role, for the clients' face-restore chooser", async () => {
    const info = await (await fetch(`${daemon.url}/v1/info`, { headers: { Authorization: `Bearer ${daemon.token}` } })).json();
    const brought = info.models.filter((model: { id: string }) => model.id.startsWith("user:"));
    expect(brought).toEqual(
      expect.arrayContaining([
        { id: "user:faces", name: "faces (yours)", scale: 1, installed: true, role: "face-restore" },
        { id: "user:tiny-detail", name: "tiny-detail (yours)", scale: 2, installed: true, role: "detail" },
      ]),
    );
  });

  it("refuses a job naming a face-restore model that is not installed with USER_MODEL_MISSING", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?preset=studio-own&faceRestore=absent`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body: await readFile(fixture) });
    expect(created.status).toBe(404);
    expect((await created.json()).error).toMatchObject({ code: "USER_MODEL_MISSING", data: { model: "user:absent", role: "face-restore" } });
  });

  it("hashes the brought model's sha256 into the settings, so a worker with another file of that name refuses the job", async () => {
    const hash = (): string => settingsHash(requestSettings(presets, { preset: "studio-own", faceRestore: "faces" }), "png");
    const before = hash();
    expect(hash()).toBe(before);
    await addModel("faces", "face-restore", affineFaceRestorer(0.75, 0), "--replace");
    expect(hash()).not.toBe(before);
  });
});

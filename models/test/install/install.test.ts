// The installer on a small fake package: a local tarball and the `copy` converter,
// so nothing here touches the network. `npm pack` is replaced by a script through
// npm_execpath (the variable npm itself sets), which the installer runs with node.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { installModels, runInstallCli, validateManifest, type InstallOptions, type ModelManifest } from "../../src/index";
import { verifyManifestModels } from "../../src/verify";
import { buildTarGz } from "./tar-writer";

const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

const weightsA = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
const weightsB = Uint8Array.from({ length: 1500 }, (_, i) => (i * 13 + 1) & 0xff);
const tarball = await buildTarGz([
  { path: "package/package.json", content: '{"name":"fake-weights","version":"1.0.0"}' },
  { path: "package/weights/a.onnx", content: weightsA },
  { path: "package/weights/b.bin", content: weightsB },
]);

function fakeManifest(edit: (models: Record<string, any>[]) => void = () => {}): ModelManifest {
  const source = (path: string, data: Uint8Array) => ({
    package: "fake-weights",
    version: "1.0.0",
    tarballSha256: sha256(tarball),
    files: [{ path, sha256: sha256(data), bytes: data.length }],
  });
  const common = {
    task: "super-resolution",
    description: "test model",
    nativeScale: 2,
    inputName: "input",
    inputLayout: "NCHW",
    inputShape: [1, 3, null, null],
    outputNames: ["output"],
    outputLayout: "NCHW",
    outputShapes: [[1, 3, null, null]],
    range: [0, 1],
    converter: "copy",
    licence: "MIT",
    attribution: "test",
  };
  const models = [
    { ...common, id: "fake-a", source: source("package/weights/a.onnx", weightsA), onnx: { file: "fake-a.onnx", sha256: sha256(weightsA), bytes: weightsA.length } },
    { ...common, id: "fake-b", source: source("package/weights/b.bin", weightsB), onnx: { file: "fake-b.onnx", sha256: sha256(weightsB), bytes: weightsB.length } },
  ];
  edit(models);
  return validateManifest({ schemaVersion: 1, models });
}

const root = mkdtempSync(join(tmpdir(), "pu-install-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dir: string;
let lines: string[];
let counter = 0;

beforeEach(() => {
  dir = join(root, `run-${++counter}`);
  mkdirSync(join(dir, "sources"), { recursive: true });
  writeFileSync(join(dir, "sources", "fake-weights-1.0.0.tgz"), tarball);
  lines = [];
});

function install(manifest: ModelManifest, options: Partial<InstallOptions> = {}) {
  return installModels({ manifest, dir, log: (line) => lines.push(line), requirePinnedHashes: false, ...options });
}

/** Files in the model directory other than models, stamps and the sources folder: temporaries left behind. */
function leftovers(): string[] {
  return readdirSync(dir).filter((name) => name !== "sources" && !/^(fake-[ab]\.onnx|\.fake-[ab]\.onnx\.verified)$/.test(name));
}

describe("installModels", () => {
  it("installs from a local tarball, then skips verified files on a second run", async () => {
    const manifest = fakeManifest();
    const first = await install(manifest);
    expect(first.ok).toBe(true);
    expect(first.results.map((r) => [r.id, r.action, r.why])).toEqual([
      ["fake-a", "installed", "missing"],
      ["fake-b", "installed", "missing"],
    ]);
    expect(first.downloaded).toEqual([]);
    expect(new Uint8Array(readFileSync(join(dir, "fake-a.onnx")))).toEqual(weightsA);
    expect(new Uint8Array(readFileSync(join(dir, "fake-b.onnx")))).toEqual(weightsB);
    expect(lines).toContain("models: fake-weights@1.0.0 found (0.0 MB, sha256 verified)");
    expect(leftovers()).toEqual([]);

    lines = [];
    const second = await install(manifest);
    expect(second.results.map((r) => r.action)).toEqual(["skipped", "skipped"]);
    expect(lines).toEqual([
      "models: fake-a               skipped   (verified earlier, unchanged, 0.0 MB)",
      "models: fake-b               skipped   (verified earlier, unchanged, 0.0 MB)",
    ]);
  });

  it("detects a truncated output and rebuilds it", async () => {
    const manifest = fakeManifest();
    await install(manifest);
    truncateSync(join(dir, "fake-a.onnx"), 1000);
    expect((await verifyManifestModels(manifest, dir)).map((s) => s.state)).toEqual(["corrupt", "present"]);

    const report = await install(manifest);
    expect(report.results.map((r) => [r.action, r.why])).toEqual([
      ["installed", "damaged or outdated: size is 1000 bytes, expected 3000"],
      ["skipped", undefined],
    ]);
    expect(new Uint8Array(readFileSync(join(dir, "fake-a.onnx")))).toEqual(weightsA);
  });

  it("detects a corrupted output of the right size by its hash, even when its time stamp is unchanged", async () => {
    const manifest = fakeManifest();
    await install(manifest);
    const path = join(dir, "fake-b.onnx");
    const before = statSync(path);
    const damaged = readFileSync(path);
    damaged[700] ^= 0xff;
    writeFileSync(path, damaged);
    utimesSync(path, before.atime, new Date(before.mtimeMs + 10_000));

    // A changed modification time voids the stamp, so even the fast check rehashes.
    let statuses = await verifyManifestModels(manifest, dir);
    expect(statuses[1]).toMatchObject({ state: "corrupt", checkedBy: "sha256", actualSha256: sha256(damaged) });

    // Put the old time back: the fast check trusts the stamp; a deep one does not.
    await install(manifest);
    writeFileSync(path, damaged);
    const stamp = JSON.parse(readFileSync(join(dir, ".fake-b.onnx.verified"), "utf8"));
    utimesSync(path, before.atime, new Date(stamp.mtimeMs));
    statuses = await verifyManifestModels(manifest, dir);
    expect(statuses[1]).toMatchObject({ state: "present" });
    statuses = await verifyManifestModels(manifest, dir, { deep: true });
    expect(statuses[1].state).toBe("corrupt");

    const report = await install(manifest, { verifyAll: true });
    expect(report.results[1].action).toBe("installed");
    expect(report.results[1].why).toBe(`damaged or outdated: sha256 is ${sha256(damaged)}, expected ${sha256(weightsB)}`);
    expect(new Uint8Array(readFileSync(path))).toEqual(weightsB);
  });

  it("refuses a source file whose hash differs, naming the file and both hashes", async () => {
    const manifest = fakeManifest((models) => (models[0].source.files[0].sha256 = "ab".repeat(32)));
    const report = await install(manifest);
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => r.action)).toEqual(["failed", "failed"]);
    expect(report.results[0].error).toMatchObject({
      code: "MODEL_CORRUPT",
      message: `package/weights/a.onnx from fake-weights@1.0.0 does not match the manifest (expected sha256 ${"ab".repeat(32)}, 3000 bytes; got ${sha256(weightsA)}, 3000 bytes).`,
      data: { file: "package/weights/a.onnx", expected: "ab".repeat(32), actual: sha256(weightsA) },
    });
    expect(readdirSync(dir).filter((name) => name.endsWith(".onnx"))).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("leaves nothing behind when a converter fails or its output does not match the pinned hash", async () => {
    const manifest = fakeManifest();
    const throwing = await install(manifest, {
      converters: {
        copy: () => {
          throw new Error("layer 12 is unknown");
        },
      },
    });
    expect(throwing.results[0].error).toMatchObject({ code: "MODEL_CONVERSION_FAILED", message: "Converting fake-a failed: layer 12 is unknown" });

    const drifting = await install(manifest, { converters: { copy: (files) => Uint8Array.from([...files.values()][0]).reverse() } });
    expect(drifting.ok).toBe(false);
    expect(drifting.results[0].error?.code).toBe("MODEL_CONVERSION_FAILED");
    expect(drifting.results[0].error?.message).toContain(`does not match the manifest (expected sha256 ${sha256(weightsA)}`);
    expect(readdirSync(dir).filter((name) => name.endsWith(".onnx"))).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("prints the hash of an unpinned output and fails when pinned hashes are required (CI)", async () => {
    const manifest = fakeManifest((models) => (models[1].onnx = { file: "fake-b.onnx", sha256: null, bytes: null }));
    const report = await install(manifest, { only: ["fake-b"] });
    expect(report.ok).toBe(true);
    expect(report.unpinned).toEqual([{ id: "fake-b", sha256: sha256(weightsB), bytes: 1500 }]);
    expect(lines.at(-1)).toContain(`NO PINNED HASH: sha256 ${sha256(weightsB)}, bytes 1500`);

    const strict = await install(manifest, { only: ["fake-b"], requirePinnedHashes: true });
    expect(strict.ok).toBe(false);
    expect(strict.results[0].why).toBe("no pinned hash, rebuilt to print it");
  });

  it("rebuilds verified models when forced", async () => {
    const manifest = fakeManifest();
    await install(manifest);
    const report = await install(manifest, { only: ["fake-a"], force: true });
    expect(report.results.map((r) => [r.id, r.action, r.why])).toEqual([["fake-a", "installed", "forced (was present)"]]);
    expect(new Uint8Array(readFileSync(join(dir, "fake-a.onnx")))).toEqual(weightsA);
  });

  it("explains a model folder that cannot be created", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    await expect(install(fakeManifest(), { dir: join(blocker, "models") })).rejects.toMatchObject({
      code: "MODEL_MISSING",
      data: { cause: "unwritable", dir: join(blocker, "models") },
    });
  });

  it("rejects an unknown id in `only` with MODEL_UNKNOWN", async () => {
    await expect(install(fakeManifest(), { only: ["fake-c"] })).rejects.toMatchObject({ code: "MODEL_UNKNOWN" });
  });

  it("removes temporaries of an earlier installer that was killed", async () => {
    writeFileSync(join(dir, ".fake-a.onnx.999999999.r12345678.tmp"), "half a model");
    writeFileSync(join(dir, ".fake-a.onnx.verified.999999999.tmp"), "half a stamp");
    const oldDownload = join(dir, "sources", ".pack-abc123");
    mkdirSync(oldDownload);
    writeFileSync(join(oldDownload, "fake-weights-1.0.0.tgz"), "half a tarball");
    utimesSync(oldDownload, new Date(0), new Date(0));
    await install(fakeManifest());
    expect(leftovers()).toEqual([]);
    expect(readdirSync(join(dir, "sources"))).toEqual(["fake-weights-1.0.0.tgz"]);
  });
});

describe("fetching with npm pack", () => {
  const savedExecPath = process.env.npm_execpath;
  afterEach(() => {
    if (savedExecPath === undefined) delete process.env.npm_execpath;
    else process.env.npm_execpath = savedExecPath;
  });

  /** Points the installer's npm at a script; `body` runs with `destination` (the --pack-destination) defined. */
  function fakeNpm(body: string): void {
    const script = join(root, `npm-${++counter}.cjs`);
    writeFileSync(
      script,
      `const args = process.argv.slice(2);\nconst destination = args[args.indexOf("--pack-destination") + 1];\nconst fs = require("fs"), path = require("path");\n${body}\n`,
    );
    process.env.npm_execpath = script;
  }

  it("downloads the tarball when it is not on disk, and reuses it afterwards", async () => {
    rmSync(join(dir, "sources"), { recursive: true });
    const source = join(root, "registry-copy.tgz");
    writeFileSync(source, tarball);
    fakeNpm(`if (args[0] !== "pack" || args[1] !== "fake-weights@1.0.0" || !args.includes("--ignore-scripts")) process.exit(9);
fs.copyFileSync(${JSON.stringify(source)}, path.join(destination, "fake-weights-1.0.0.tgz"));`);
    const report = await install(fakeManifest(), { only: ["fake-a"] });
    expect(report.ok).toBe(true);
    expect(report.downloaded).toEqual(["fake-weights@1.0.0"]);
    expect(lines[0]).toMatch(/^models: fake-weights@1\.0\.0 fetched \(0\.0 MB, sha256 verified, \d+\.\d s\)$/);
    expect(readdirSync(join(dir, "sources"))).toEqual(["fake-weights-1.0.0.tgz"]);

    fakeNpm("process.exit(9);");
    const again = await install(fakeManifest(), { only: ["fake-b"] });
    expect(again.ok).toBe(true);
    expect(again.downloaded).toEqual([]);
  });

  it("explains a registry that cannot be reached, with MODEL_MISSING and what to do", async () => {
    rmSync(join(dir, "sources"), { recursive: true });
    fakeNpm(`console.error("npm error code ENOTFOUND\\nnpm error network request to https://registry.npmjs.org/fake-weights failed");\nprocess.exit(1);`);
    const report = await install(fakeManifest());
    expect(report.ok).toBe(false);
    const error = report.results[0].error!;
    expect(error.code).toBe("MODEL_MISSING");
    expect(error.data).toMatchObject({ cause: "fetch-failed", package: "fake-weights", version: "1.0.0" });
    expect(error.message).toContain("Could not download fake-weights@1.0.0 from the npm registry: npm pack exited with code 1:");
    expect(error.message).toContain("ENOTFOUND");
    expect(error.message).toContain("Check the network connection");
    expect(report.results[1].error?.code).toBe("MODEL_MISSING");
    expect(readdirSync(join(dir, "sources"))).toEqual([]);
  });

  it("refuses a tarball whose hash is not the pinned one", async () => {
    rmSync(join(dir, "sources"), { recursive: true });
    fakeNpm(`fs.writeFileSync(path.join(destination, "fake-weights-1.0.0.tgz"), "republished");`);
    const report = await install(fakeManifest(), { only: ["fake-a"] });
    expect(report.results[0].error).toMatchObject({ code: "MODEL_CORRUPT", data: { file: "fake-weights@1.0.0 tarball", actual: sha256("republished") } });
    expect(readdirSync(join(dir, "sources"))).toEqual([]);
  });
});

describe("runInstallCli", () => {
  it("says loudly that PORTRAIT_UPSCALE_SKIP_MODELS skipped everything, and exits 0", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await runInstallCli([], { PORTRAIT_UPSCALE_SKIP_MODELS: "1" })).toBe(0);
      expect(log.mock.calls.map((call) => call[0]).join("\n")).toContain("NO MODELS WERE INSTALLED OR CHECKED");
    } finally {
      log.mockRestore();
    }
  });
});

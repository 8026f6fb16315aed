/**
 * The daemon's JavaScript for the bundles: the CLI and the inference worker, bundled by esbuild
 * with everything pure-JavaScript inside (ws included), so only the native packages
 * (onnxruntime-node, sharp) and their small JavaScript dependencies ship as node_modules.
 */
import { build } from "esbuild";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Packages loaded at run time from `app/node_modules`: native code, or required by it; and the
 * studio queue (bullmq with its ioredis), which loads its own modules and optional back ends at
 * run time, so it ships whole rather than half-bundled.
 */
export const EXTERNAL_PACKAGES = ["onnxruntime-node", "sharp", "bullmq", "ioredis"] as const;

/** The external packages with native code, whose binaries are added per platform. */
const NATIVE_PACKAGES = ["onnxruntime-node", "sharp"] as const;

/**
 * ws's optional native speed-ups, left out of the bundles: ws requires them inside a try and
 * uses its JavaScript code when they are absent (bufferutil has no prebuilt binary for Linux
 * and Windows on Arm, and a half-bundled one would only fail the same way).
 */
export const OPTIONAL_ABSENT_PACKAGES = ["bufferutil", "utf-8-validate"] as const;

/**
 * Names the bundled code may try to require and does without: fdir (under tinyglobby) tries
 * `require("picomatch")` inside a try for a glob API of its own that we do not use; tinyglobby's
 * own picomatch is bundled.
 */
export const OPTIONAL_REQUIRES = ["picomatch"] as const;

/** Bundles the daemon into `outDir` (`cli.js`, `inference/worker.js`, `package.json`). */
export async function buildAppCode(repoRoot: string, outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: join(repoRoot, "helper-daemon"),
    entryPoints: { cli: "src/cli.ts", "inference/worker": "src/inference/worker.ts" },
    outdir: outDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: [...EXTERNAL_PACKAGES, ...OPTIONAL_ABSENT_PACKAGES],
    // Bundled ESM still needs require() for CommonJS dependencies.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // CommonJS dependencies may also read __filename (write-file-atomic names its temporaries with it).
    define: { __filename: "import.meta.filename" },
    logLevel: "warning",
  });
  await writeFile(join(outDir, "package.json"), `${JSON.stringify({ name: "portrait-upscale-app", private: true, type: "module" }, null, 2)}\n`);
}

/**
 * Copies the JavaScript of the external packages and their run-time dependencies from the
 * repository's node_modules (the versions the lock file pins) into `nodeModulesDir`.
 * Native binaries are not copied here: see {@link copyOnnxruntimeBinaries} and the sharp packages.
 */
export async function copyExternalJavaScript(repoRoot: string, nodeModulesDir: string): Promise<string[]> {
  const copied: string[] = [];
  const queue: string[] = [...EXTERNAL_PACKAGES];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (copied.includes(name)) continue;
    const source = installedPackageDir(repoRoot, name);
    const manifest = JSON.parse(await readFile(join(source, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const target = join(nodeModulesDir, name);
    await mkdir(target, { recursive: true });
    // The native packages' binaries are added per platform, and their install-time helpers and
    // C++ sources are not needed; other packages ship whole (debug's code lives in src/).
    const native = (NATIVE_PACKAGES as readonly string[]).includes(name);
    const skipped = native ? ["bin", "script", "install", "src"].map((folder) => join(source, folder)) : [];
    await cp(source, target, { recursive: true, filter: (path) => !skipped.some((folder) => path === folder || path.startsWith(`${folder}/`)) });
    copied.push(name);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (!INSTALL_TIME_ONLY.has(dependency)) queue.push(dependency);
    }
  }
  return copied;
}

/** Dependencies used only by onnxruntime-node's install script (downloading CUDA builds). */
const INSTALL_TIME_ONLY = new Set(["adm-zip", "global-agent"]);

/** Copies onnxruntime-node's prebuilt binaries for one platform (the npm package ships them all). */
export async function copyOnnxruntimeBinaries(repoRoot: string, nodeModulesDir: string, platform: string, arch: string): Promise<void> {
  const source = join(installedPackageDir(repoRoot, "onnxruntime-node"), "bin", "napi-v6", platform, arch);
  await cp(source, join(nodeModulesDir, "onnxruntime-node", "bin", "napi-v6", platform, arch), { recursive: true });
}

/** sharp's exact versions of its per-platform packages (from its optionalDependencies). */
export async function sharpNativeVersions(repoRoot: string): Promise<Record<string, string>> {
  const manifest = JSON.parse(await readFile(join(installedPackageDir(repoRoot, "sharp"), "package.json"), "utf8")) as {
    optionalDependencies: Record<string, string>;
  };
  return manifest.optionalDependencies;
}

/** Where npm installed a package for the workspaces (hoisted to the root). */
function installedPackageDir(repoRoot: string, name: string): string {
  return join(repoRoot, "node_modules", ...name.split("/"));
}

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Environment variable that moves the model directory (e.g. to a shared drive). */
export const MODEL_DIR_ENV = "PORTRAIT_UPSCALE_MODEL_DIR";

/**
 * The repository root: the nearest folder above this code holding `models/manifest.json`.
 * The code runs from source (vitest), from `models/dist/install.js` and from
 * `helper-daemon/dist/cli.js`, so it walks up rather than assuming a depth.
 */
export function repositoryRoot(): string {
  const starts = [safeFilePath(import.meta.url), process.argv[1], process.cwd()];
  for (const start of starts) {
    if (start === undefined) continue;
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, "models", "manifest.json"))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return process.cwd();
}

/** A path inside the repository, for tools and tests that start programs from the checkout. */
export function repositoryPath(...parts: string[]): string {
  return join(repositoryRoot(), ...parts);
}

/** Where the ONNX files live: `PORTRAIT_UPSCALE_MODEL_DIR`, else `models/cache` in the repository. */
export function modelDir(): string {
  const override = process.env[MODEL_DIR_ENV];
  if (override !== undefined && override.trim() !== "") return resolve(override);
  return join(repositoryRoot(), "models", "cache");
}

/** Where downloaded package tarballs are kept, so a rebuild needs no network. */
export function sourcesDir(dir: string = modelDir()): string {
  return join(dir, "sources");
}

function safeFilePath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

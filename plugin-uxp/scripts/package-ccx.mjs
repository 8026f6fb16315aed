// Packs dist/ into dist/portrait-upscale.ccx: a zip with manifest.json at its root, files
// mode 0644 and folders 0755 (Creative Cloud refuses entries it cannot read).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";

const here = dirname(fileURLToPath(import.meta.url));
export const CCX_NAME = "portrait-upscale.ccx";

/** A fixed moment, so the same input gives the same package. */
const MTIME = new Date(2026, 0, 1);
/** Made on Unix, so the modes in the upper half of the external attributes count. */
const UNIX = 3;
const FILE = { os: UNIX, attrs: 0o100644 << 16, mtime: MTIME, level: 9 };
/** 0x10: the MS-DOS directory flag, for unzip programs that ignore Unix modes. */
const FOLDER = { os: UNIX, attrs: ((0o40755 << 16) | 0x10) >>> 0, mtime: MTIME, level: 0 };

/** Zip entries of `dir` for fflate, folders before their contents, in a stable order; skips .ccx files. */
function entriesOf(dir, root = dir, out = {}) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const rel = relative(root, path).split(sep).join("/");
    if (statSync(path).isDirectory()) {
      out[`${rel}/`] = [new Uint8Array(0), FOLDER];
      entriesOf(path, root, out);
    } else if (!name.endsWith(".ccx")) out[rel] = [readFileSync(path), FILE];
  }
  return out;
}

/** Packs `distDir` into `distDir/portrait-upscale.ccx`; returns its path. */
export function packageCcx(distDir = join(here, "..", "dist")) {
  const entries = entriesOf(distDir);
  if (!("manifest.json" in entries)) {
    throw new Error(`Expected manifest.json at the root of ${distDir} but it is missing: run the build first`);
  }
  const path = join(distDir, CCX_NAME);
  writeFileSync(path, zipSync(entries));
  return path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`Packaged ${packageCcx()}`);
}

// Bundles the panel into dist/ as the UXP Developer Tool loads it: index.html, index.js,
// index.css, manifest.json, icons. `photoshop` and `uxp` are Photoshop's own modules.
// `node build.mjs --harness DIR` also builds the browser harness (in-memory Photoshop) into DIR.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { writeIcons } from "./scripts/icons.mjs";

const here = dirname(fileURLToPath(import.meta.url));

const common = {
  bundle: true,
  format: "iife",
  platform: "browser",
  // Lowers class private fields and newer syntax for UXP's JavaScript engine.
  target: "es2020",
  jsx: "automatic",
  loader: { ".css": "css" },
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "none",
  logLevel: "warning",
};

/** Builds the panel into `outdir` (default dist/). */
export async function buildPanel(outdir = join(here, "dist")) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({ ...common, entryPoints: { index: join(here, "src", "index.tsx") }, outdir, external: ["photoshop", "uxp"] });
  copyFileSync(join(here, "src", "index.html"), join(outdir, "index.html"));
  copyFileSync(join(here, "manifest.json"), join(outdir, "manifest.json"));
  await writeIcons(outdir);
  return outdir;
}

/** Builds the browser harness (the same panel over the in-memory Photoshop) into `outdir`. */
export async function buildHarness(outdir) {
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({ ...common, entryPoints: { harness: join(here, "harness", "harness.tsx") }, outdir });
  copyFileSync(join(here, "harness", "harness.html"), join(outdir, "index.html"));
  return outdir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const harnessFlag = process.argv.indexOf("--harness");
  if (harnessFlag >= 0) console.log(`Harness built in ${await buildHarness(resolve(process.argv[harnessFlag + 1] ?? join(here, "dist-harness")))}`);
  else console.log(`Panel built in ${await buildPanel()}`);
}

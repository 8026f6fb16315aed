/**
 * `npm run package`: builds the desktop bundles.
 *
 *   npm run package                          every target
 *   npm run package -- --target linux-x64    one (repeatable)
 *   npm run package -- --no-archive          folders only (what the tests use)
 *
 * Output: dist/bundles/<name>/ folders, <name>.tar.gz or .zip archives and <archive>.sha256.
 * Registry downloads are cached in .cache/packaging/ (git-ignored).
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { buildAppCode } from "./app-code";
import { writeArchive } from "./archive";
import { assembleBundle } from "./assemble";
import { filesBelow, sha256OfFile } from "./checksums";
import { BUNDLE_TARGETS, findTarget } from "./targets";

const { values } = parseArgs({
  options: {
    target: { type: "string", multiple: true },
    out: { type: "string" },
    "no-archive": { type: "boolean" },
  },
});

const repoRoot = resolve(process.env.PORTRAIT_UPSCALE_REPO ?? process.cwd());
const outDir = resolve(values.out ?? join(repoRoot, "dist", "bundles"));
const cacheDir = join(repoRoot, ".cache", "packaging");
const version = (JSON.parse(await readFile(join(repoRoot, "helper-daemon", "package.json"), "utf8")) as { version: string }).version;
const targets = values.target ? values.target.map(findTarget) : BUNDLE_TARGETS;

await mkdir(outDir, { recursive: true });
// Private folders per run, so two builds at once (tests, a developer) never share one.
const appCodeDir = await mkdtemp(join(tmpdir(), "portrait-upscale-app-"));
const panelDir = await mkdtemp(join(tmpdir(), "portrait-upscale-panel-"));
const rows: string[] = [];
try {
  await buildAppCode(repoRoot, appCodeDir);
  const ccxFile = await buildPanelPackage(panelDir);
  for (const target of targets) {
    const started = Date.now();
    const folder = await assembleBundle(target, { repoRoot, cacheDir, appCodeDir, ccxFile, version }, outDir);
    const folderBytes = await folderSize(folder);
    let archiveNote = "";
    if (!values["no-archive"]) {
      const archive = `${folder}.${target.archive}`;
      await writeArchive(target.archive, outDir, basename(folder), archive);
      await writeFile(`${archive}.sha256`, `${await sha256OfFile(archive)}  ${basename(archive)}\n`);
      archiveNote = ` | ${mib((await stat(archive)).size)}`;
    }
    rows.push(`| ${target.id} | ${mib(folderBytes)}${archiveNote || " | —"} | ${((Date.now() - started) / 1000).toFixed(1)} s |`);
    console.log(`built ${folder}`);
  }
} finally {
  await rm(appCodeDir, { recursive: true, force: true });
  await rm(panelDir, { recursive: true, force: true });
}
console.log(["", "| target | unpacked | archive | build time |", "| --- | --- | --- | --- |", ...rows].join("\n"));

/** Builds the panel and its .ccx into `dir` with the panel's own build and packaging scripts. */
async function buildPanelPackage(dir: string): Promise<string> {
  const { buildPanel } = (await import(pathToFileURL(join(repoRoot, "plugin-uxp", "build.mjs")).href)) as { buildPanel(out: string): Promise<void> };
  const { packageCcx } = (await import(pathToFileURL(join(repoRoot, "plugin-uxp", "scripts", "package-ccx.mjs")).href)) as {
    packageCcx(out: string): string;
  };
  await buildPanel(dir);
  return packageCcx(dir);
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const file of await filesBelow(dir)) total += (await stat(join(dir, file))).size;
  return total;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

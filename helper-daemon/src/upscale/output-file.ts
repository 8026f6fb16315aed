/**
 * Writing a result file so that no partial file ever exists: the output is created under a
 * temporary name in its folder first (so an unwritable destination fails before any work),
 * then renamed over the final name once complete. A failure, a cancellation or Ctrl-C leaves
 * nothing behind. Not write-file-atomic, which makes its temporary only when the bytes are
 * there, under a name a batch's clean-up of a killed worker's temporaries could not tell apart.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { openPendingFile, type PendingFile } from "@portrait-upscale/models";
import { PortraitError } from "@portrait-upscale/shared";

/** An output file being prepared: `commit` writes and renames it, `discard` removes the temporary. */
export type PendingOutput = PendingFile;

/** The hidden temporary name next to `target`; `.partial` files are never taken for results. */
export function temporaryNameFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.partial`);
}

/**
 * Removes temporary files of `target` left by a process that was killed before it could
 * (a worker's SIGKILL, a power cut). Only for the owner of the output folder, when nothing
 * else is writing that output: a batch, before and after its run.
 */
export async function removeStalePartials(target: string): Promise<number> {
  const prefix = `.${basename(target)}.`;
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  const stale = names.filter((name) => name.startsWith(prefix) && name.endsWith(".partial"));
  await Promise.all(stale.map((name) => rm(join(dirname(target), name), { force: true })));
  return stale.length;
}

/**
 * Creates the temporary file for `outputPath`. Throws OUTPUT_UNWRITABLE when its folder cannot
 * take a file.
 * @example const output = await openOutput("out.png"); try { await output.commit(bytes) } finally { await output.discard() }
 */
export async function openOutput(outputPath: string): Promise<PendingOutput> {
  const target = resolve(outputPath);
  let pending: PendingFile;
  try {
    pending = await openPendingFile(target, temporaryNameFor(target));
  } catch (error) {
    throw unwritable(target, error);
  }
  return {
    path: target,
    async commit(bytes) {
      try {
        await pending.commit(bytes);
      } catch (error) {
        throw unwritable(target, error);
      }
    },
    discard: () => pending.discard(),
  };
}

/** OUTPUT_UNWRITABLE naming the path and the system's reason. */
export function unwritable(path: string, error: unknown): PortraitError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PortraitError("OUTPUT_UNWRITABLE", `Cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? reason}.`, { path, reason });
}

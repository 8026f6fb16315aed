/**
 * Writing a result file so that no partial file ever exists: the output is created under a
 * temporary name in its folder first (so an unwritable destination fails before any work),
 * then renamed over the final name once complete. A failure, a cancellation or Ctrl-C leaves
 * nothing behind.
 */
import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PortraitError } from "@portrait-upscale/shared";

/** An output file being prepared: `commit` writes and renames it, `discard` removes the temporary. */
export interface PendingOutput {
  /** The final absolute path. */
  readonly path: string;
  commit(bytes: Uint8Array): Promise<void>;
  discard(): Promise<void>;
}

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
  const temporary = temporaryNameFor(target);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, "wx");
  } catch (error) {
    throw unwritable(target, error);
  }
  return {
    path: target,
    async commit(bytes) {
      try {
        await handle!.writeFile(bytes);
        await handle!.close();
        handle = undefined;
        await rename(temporary, target);
      } catch (error) {
        throw unwritable(target, error);
      }
    },
    async discard() {
      await handle?.close().catch(() => undefined);
      handle = undefined;
      await rm(temporary, { force: true }).catch(() => undefined);
    },
  };
}

/** OUTPUT_UNWRITABLE naming the path and the system's reason. */
export function unwritable(path: string, error: unknown): PortraitError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PortraitError("OUTPUT_UNWRITABLE", `Cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? reason}.`, { path, reason });
}

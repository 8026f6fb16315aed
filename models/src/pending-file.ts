// A file written under a temporary name beside its target and renamed over it once complete, for
// the writes write-file-atomic cannot do: a temporary that must exist before the bytes do (an
// output: an unwritable folder fails before the work) or whose name a later clean-up reads (a
// model file's carries its writer's process id).
import { open, rename, rm, type FileHandle } from "node:fs/promises";

/** A file being written: `commit` completes it, `discard` removes what is left of it. */
export interface PendingFile {
  /** The final path. */
  readonly path: string;
  /** Writes `bytes` to the temporary and renames it over the final path. */
  commit(bytes: Uint8Array): Promise<void>;
  /** Closes and removes the temporary; nothing after a commit. Never throws. */
  discard(): Promise<void>;
}

/**
 * Creates `temporary` (which must not exist) for `target`. With `durable`, the bytes are flushed
 * to disk before the rename, so a power cut leaves the old file or the whole new one.
 *
 * @example const file = await openPendingFile("out.png", ".out.png.1a2b.partial"); try { await file.commit(bytes) } finally { await file.discard() }
 */
export async function openPendingFile(target: string, temporary: string, options: { readonly durable?: boolean } = {}): Promise<PendingFile> {
  let handle: FileHandle | undefined = await open(temporary, "wx");
  let committed = false;
  return {
    path: target,
    async commit(bytes) {
      await handle!.writeFile(bytes);
      if (options.durable) await handle!.sync();
      await handle!.close();
      handle = undefined;
      await rename(temporary, target);
      committed = true;
    },
    async discard() {
      await handle?.close().catch(() => undefined);
      handle = undefined;
      if (!committed) await rm(temporary, { force: true }).catch(() => undefined);
    },
  };
}

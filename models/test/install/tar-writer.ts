// Writes small gzip-compressed tar archives for the tests with tar-stream, which stores
// names longer than 100 bytes in pax extended headers.
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

export interface TarWriterEntry {
  readonly path: string;
  /** Absent for a directory. */
  readonly content?: Uint8Array | string;
}

/** An uncompressed tar archive holding `entries`. */
export async function buildTar(entries: readonly TarWriterEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    if (entry.content === undefined) archive.entry({ name: entry.path, type: "directory", mtime: new Date(0) });
    else archive.entry({ name: entry.path, mtime: new Date(0) }, Buffer.from(entry.content));
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** {@link buildTar}, gzip-compressed like an npm package tarball. */
export async function buildTarGz(entries: readonly TarWriterEntry[]): Promise<Buffer> {
  return gzipSync(await buildTar(entries));
}

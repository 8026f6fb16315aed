/** SHA-256 checksums in the `sha256sum` format (`HEX  path`), so users can check with the usual tools. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";

/** The file's SHA-256 as lowercase hex, streamed (models and runtimes are large). */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Every file below `dir`, as sorted forward-slash paths relative to it. */
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/** `sha256sum` lines for `files` (relative to `dir`). */
export async function checksumLines(dir: string, files: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const file of files) lines.push(`${await sha256OfFile(join(dir, file))}  ${file}`);
  return `${lines.join("\n")}\n`;
}

/** Parses `sha256sum` lines into path → hex. */
export function parseChecksums(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match) entries.set(match[2], match[1]);
  }
  return entries;
}

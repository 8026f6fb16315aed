// Writes small tar archives for the tests, in the three ways long names are stored:
// ustar's prefix field, GNU's "././@LongLink" entries and pax extended headers.
import { gzipSync } from "node:zlib";

export type TarFormat = "ustar" | "gnu" | "pax";

export interface TarWriterEntry {
  readonly path: string;
  /** Absent for a directory. */
  readonly content?: Uint8Array | string;
}

/** An uncompressed tar archive holding `entries`, names longer than 100 bytes stored the `format` way. */
export function buildTar(entries: readonly TarWriterEntry[], format: TarFormat = "ustar"): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content === undefined ? undefined : Buffer.from(entry.content);
    const type = content === undefined ? "5" : "0";
    const size = content?.length ?? 0;
    let name = entry.path;
    let prefix = "";
    if (Buffer.byteLength(name) > 100) {
      if (format === "ustar") {
        const cut = name.lastIndexOf("/", name.length - 2);
        prefix = name.slice(0, cut);
        name = name.slice(cut + 1);
        if (Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name) > 100) throw new Error(`${entry.path} cannot be stored in ustar`);
      } else if (format === "gnu") {
        blocks.push(header("././@LongLink", "", Buffer.byteLength(name) + 1, "L", format), ...data(Buffer.from(`${name}\0`)));
        name = name.slice(0, 100);
      } else {
        blocks.push(header("PaxHeaders/long", "", 0, "x", format, paxRecord("path", name)), ...data(paxRecord("path", name)));
        name = name.slice(0, 100);
      }
    }
    blocks.push(header(name, prefix, size, type, format));
    if (content !== undefined) blocks.push(...data(content));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** {@link buildTar}, gzip-compressed like an npm package tarball. */
export function buildTarGz(entries: readonly TarWriterEntry[], format: TarFormat = "ustar"): Buffer {
  return gzipSync(buildTar(entries, format));
}

function header(name: string, prefix: string, size: number, type: string, format: TarFormat, pax?: Buffer): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, "utf8");
  block.write("0000644\0", 100, "latin1");
  block.write("0000000\0", 108, "latin1");
  block.write("0000000\0", 116, "latin1");
  block.write(`${(pax?.length ?? size).toString(8).padStart(11, "0")}\0`, 124, "latin1");
  block.write("14664471520\0", 136, "latin1");
  block.write(type, 156, "latin1");
  if (format === "gnu") block.write("ustar  \0", 257, "latin1");
  else block.write("ustar\u000000", 257, "latin1");
  if (prefix !== "") block.write(prefix, 345, 155, "utf8");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return block;
}

function data(content: Buffer | Uint8Array): Buffer[] {
  const padding = (512 - (content.length % 512)) % 512;
  return [Buffer.from(content), Buffer.alloc(padding)];
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  length += String(length + String(length).length).length;
  return Buffer.from(`${length}${body}`);
}

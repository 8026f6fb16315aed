/**
 * Where a finished job's bytes live: in memory, or, when large, in a file in the job's own
 * temporary folder; read back in pieces for streaming. With the CRC-32 every result carries.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 as portableCrc32, crc32Hex as hex } from "@portrait-upscale/shared";

/** A result's bytes, in memory or in a file. */
export type StoredResult = { readonly kind: "memory"; readonly bytes: Uint8Array } | { readonly kind: "file"; readonly path: string };

/**
 * Keeps `bytes` in memory, or writes them to `folder/result.<format>` (made private to this
 * user) when they are at least `spillBytes` long. Resolves with where they are.
 */
export async function storeResult(bytes: Uint8Array, format: string, spillBytes: number, folder: string): Promise<StoredResult> {
  if (bytes.byteLength < spillBytes) return { kind: "memory", bytes };
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, `result.${format}`);
  await writeFile(path, bytes, { mode: 0o600 });
  return { kind: "file", path };
}

/** Reads `length` bytes from `offset` of a stored result. */
export async function readStored(stored: StoredResult, offset: number, length: number): Promise<Uint8Array> {
  if (stored.kind === "memory") return stored.bytes.subarray(offset, offset + length);
  const handle = await open(stored.path, "r");
  try {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** CRC-32 as 8 hex digits; zlib's native one is ~20× faster on big results where Node has it. */
export function crc32Hex(bytes: Uint8Array): string {
  return hex(typeof zlibCrc32 === "function" ? zlibCrc32(bytes) : portableCrc32(bytes));
}

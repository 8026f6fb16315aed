/**
 * The daemon's settings: defaults, merged with `config.json` from the config folder, then
 * with command-line flags. Validated once here; everything downstream receives a frozen
 * {@link DaemonConfig} and trusts it.
 */
import { mkdir, readFile } from "node:fs/promises";
import writeFileAtomic from "write-file-atomic";
import { PortraitError, array, integer, invalidParameter, nullable, number, object, optional, parse, string, unknown } from "@portrait-upscale/shared";
import { parseMemoryBudget } from "../tiling/tile-size";
import { configFiles } from "./paths";

export interface DaemonLimits {
  /** Largest accepted upload (encoded file or raw pixels), in bytes. */
  readonly maxUploadBytes: number;
  /** All uploads being received at once, from every client together, in bytes. */
  readonly maxPendingUploadBytes: number;
  /** Largest accepted input, in pixels (checked from the header before allocating). */
  readonly maxInputPixels: number;
  /** Largest result, in pixels. */
  readonly maxOutputPixels: number;
  /** Largest WebSocket message: one binary chunk or one JSON message. */
  readonly maxMessageBytes: number;
  /** Queued plus running jobs one client may have at once. */
  readonly maxJobsPerClient: number;
}

export interface DaemonConfig {
  readonly port: number;
  readonly host: string;
  readonly limits: DaemonLimits;
  /** Jobs that run at once: one per inference device by default. */
  readonly concurrency: number;
  /** Inference worker threads the engine may use (0 = its own default). */
  readonly workers: number;
  /** How long a finished job's result stays available, in seconds. */
  readonly resultRetentionSeconds: number;
  /** Results larger than this are kept in the job's temporary folder instead of memory. */
  readonly resultSpillBytes: number;
  /** A folder of studio presets shared by a team, or null. */
  readonly studioPresetFolder: string | null;
  /** Extra `Origin` values to accept besides UXP plug-in origins (exact match). */
  readonly allowedOrigins: readonly string[];
  readonly log: { readonly maxBytes: number; readonly generations: number };
  /** The settings' format version (see {@link CONFIG_VERSION}). */
  readonly version: number;
  /** Bytes a whole job may use (tile sizing: every warm session, the image buffers, a pass window); null: a share of total memory on CPU, a fixed figure on GPUs. */
  readonly memoryBudget: number | null;
  /** The GPU jobs run on, on machines with several (CUDA, DirectML); `serve --device N` wins. */
  readonly device: number;
}

export const DEFAULT_PORT = 7421;
export const DEFAULT_HOST = "127.0.0.1";

/**
 * The version of config.json this release writes and understands. Raise it when a release
 * changes the meaning of a setting: an older release then refuses the file instead of
 * misreading it (an update keeps the config folder; a downgrade must not damage it silently).
 */
export const CONFIG_VERSION = 1;

const MIB = 1024 * 1024;

export const DEFAULT_CONFIG: DaemonConfig = Object.freeze({
  port: DEFAULT_PORT,
  host: DEFAULT_HOST,
  limits: Object.freeze({
    maxUploadBytes: 1024 * MIB,
    maxPendingUploadBytes: 2048 * MIB,
    maxInputPixels: 64_000_000,
    maxOutputPixels: 1_100_000_000,
    maxMessageBytes: 4 * MIB,
    maxJobsPerClient: 4,
  }),
  concurrency: 1,
  workers: 0,
  resultRetentionSeconds: 600,
  resultSpillBytes: 256 * MIB,
  studioPresetFolder: null,
  allowedOrigins: Object.freeze([]) as readonly string[],
  log: Object.freeze({ maxBytes: 1 * MIB, generations: 3 }),
  version: CONFIG_VERSION,
  memoryBudget: null,
  device: 0,
});

type Overrides = { readonly [K in keyof DaemonConfig]?: unknown };

/** Reads `config.json` from `dir` (missing file = defaults) and applies `overrides` on top. */
export async function loadConfig(dir: string, overrides: Overrides = {}): Promise<DaemonConfig> {
  const file = configFiles(dir).config;
  let fromFile: unknown = {};
  try {
    fromFile = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") {
      throw new PortraitError("INVALID_OPTION", `The config file ${file} cannot be read: ${(error as Error).message}`, { file });
    }
  }
  if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) {
    throw invalidParameter("a JSON object", "config.json", fromFile);
  }
  return parseConfig({ ...(fromFile as Record<string, unknown>), ...definedOnly(overrides) });
}

/** What config.json may hold: every field optional (defaults fill in), unknown fields refused. */
const configSchema = object({
  port: optional(integer({ min: 0, max: 65535 })),
  host: optional(string({ minLength: 1, expected: "a host name or address" })),
  limits: optional(
    object({
      maxUploadBytes: optional(integer({ min: 1 })),
      maxPendingUploadBytes: optional(integer({ min: 1 })),
      maxInputPixels: optional(integer({ min: 1 })),
      maxOutputPixels: optional(integer({ min: 1 })),
      maxMessageBytes: optional(integer({ min: 1024 })),
      maxJobsPerClient: optional(integer({ min: 1 })),
    }),
  ),
  concurrency: optional(integer({ min: 1, max: 64 })),
  workers: optional(integer({ min: 0, max: 64 })),
  resultRetentionSeconds: optional(number({ min: 0 })),
  resultSpillBytes: optional(integer({ min: 0 })),
  studioPresetFolder: optional(nullable(string({ expected: "a folder path" }))),
  allowedOrigins: optional(array(string())),
  log: optional(object({ maxBytes: optional(integer({ min: 1024 })), generations: optional(integer({ min: 1, max: 20 })) })),
  version: optional(integer({ min: 1 })),
  // "3G", "512M" or bytes: parseMemoryBudget checks it and says what it expected.
  memoryBudget: optional(nullable(unknown())),
  device: optional(integer({ min: 0, max: 64 })),
});

/** Validates a config object (as found in config.json), filling in defaults. */
export function parseConfig(raw: Record<string, unknown>): DaemonConfig {
  const given = parse(configSchema, raw, "", "INVALID_OPTION");
  const d = DEFAULT_CONFIG;
  const version = given.version ?? d.version;
  if (version > CONFIG_VERSION) {
    throw new PortraitError(
      "CONFIG_TOO_NEW",
      `config.json has version ${version}, written by a newer Portrait Upscale; this release understands version ${CONFIG_VERSION} and will not downgrade it.`,
      { version, supported: CONFIG_VERSION },
    );
  }
  return Object.freeze({
    ...d,
    ...given,
    limits: Object.freeze({ ...d.limits, ...given.limits }),
    studioPresetFolder: given.studioPresetFolder ?? null,
    allowedOrigins: Object.freeze([...(given.allowedOrigins ?? d.allowedOrigins)]),
    log: Object.freeze({ ...d.log, ...given.log }),
    version,
    memoryBudget: given.memoryBudget === undefined || given.memoryBudget === null ? null : parseMemoryBudget(given.memoryBudget, "memoryBudget"),
  });
}

/**
 * Writes this release's version into `config.json` (creating a file holding only the version
 * when there is none), keeping every other setting. Refuses a newer file with CONFIG_TOO_NEW.
 * Returns the version now in the file.
 */
export async function stampConfigVersion(dir: string): Promise<number> {
  // Validates first, with loadConfig's errors for an unreadable or newer file.
  await loadConfig(dir);
  const file = configFiles(dir).config;
  const current = (await readFile(file, "utf8").then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}))) as Record<string, unknown>;
  if (current.version === CONFIG_VERSION) return CONFIG_VERSION;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Atomic: a crash never leaves half a config.
  const settings = Object.fromEntries(Object.entries(current).filter(([key]) => key !== "version"));
  await writeFileAtomic(file, `${JSON.stringify({ version: CONFIG_VERSION, ...settings }, null, 2)}\n`, { mode: 0o600 });
  return CONFIG_VERSION;
}

function definedOnly(values: Overrides): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

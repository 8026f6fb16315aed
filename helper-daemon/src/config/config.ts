/**
 * The daemon's settings: defaults, merged with `config.json` from the config folder, then
 * with command-line flags. Validated once here; everything downstream receives a frozen
 * {@link DaemonConfig} and trusts it.
 */
import { readFile } from "node:fs/promises";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
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
  /** Bytes one model run may use (tile sizing); null: a share of total memory on CPU, a fixed figure on GPUs. */
  readonly memoryBudget: number | null;
}

export const DEFAULT_PORT = 7421;
export const DEFAULT_HOST = "127.0.0.1";

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
  memoryBudget: null,
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

/** Validates a config object (as found in config.json), filling in defaults. */
export function parseConfig(raw: Record<string, unknown>): DaemonConfig {
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw invalidParameter(`one of ${[...known].join(", ")}`, "a config key", key);
  }
  const limitsRaw = objectOr(raw.limits, "limits");
  const logRaw = objectOr(raw.log, "log");
  const d = DEFAULT_CONFIG;
  const limits: DaemonLimits = Object.freeze({
    maxUploadBytes: integer(limitsRaw.maxUploadBytes, "limits.maxUploadBytes", d.limits.maxUploadBytes, 1),
    maxPendingUploadBytes: integer(limitsRaw.maxPendingUploadBytes, "limits.maxPendingUploadBytes", d.limits.maxPendingUploadBytes, 1),
    maxInputPixels: integer(limitsRaw.maxInputPixels, "limits.maxInputPixels", d.limits.maxInputPixels, 1),
    maxOutputPixels: integer(limitsRaw.maxOutputPixels, "limits.maxOutputPixels", d.limits.maxOutputPixels, 1),
    maxMessageBytes: integer(limitsRaw.maxMessageBytes, "limits.maxMessageBytes", d.limits.maxMessageBytes, 1024),
    maxJobsPerClient: integer(limitsRaw.maxJobsPerClient, "limits.maxJobsPerClient", d.limits.maxJobsPerClient, 1),
  });
  const host = raw.host ?? d.host;
  if (typeof host !== "string" || host.length === 0) throw invalidParameter("a host name or address", "host", host);
  const folder = raw.studioPresetFolder ?? null;
  if (folder !== null && typeof folder !== "string") throw invalidParameter("a folder path or null", "studioPresetFolder", folder);
  const origins = raw.allowedOrigins ?? [];
  if (!Array.isArray(origins) || origins.some((o) => typeof o !== "string")) {
    throw invalidParameter("an array of strings", "allowedOrigins", origins);
  }
  return Object.freeze({
    port: integer(raw.port, "port", d.port, 0, 65535),
    host,
    limits,
    concurrency: integer(raw.concurrency, "concurrency", d.concurrency, 1, 64),
    workers: integer(raw.workers, "workers", d.workers, 0, 64),
    resultRetentionSeconds: number(raw.resultRetentionSeconds, "resultRetentionSeconds", d.resultRetentionSeconds),
    resultSpillBytes: integer(raw.resultSpillBytes, "resultSpillBytes", d.resultSpillBytes, 0),
    studioPresetFolder: folder,
    allowedOrigins: Object.freeze([...(origins as string[])]),
    log: Object.freeze({
      maxBytes: integer(logRaw.maxBytes, "log.maxBytes", d.log.maxBytes, 1024),
      generations: integer(logRaw.generations, "log.generations", d.log.generations, 1, 20),
    }),
    memoryBudget: raw.memoryBudget === undefined || raw.memoryBudget === null ? null : parseMemoryBudget(raw.memoryBudget, "memoryBudget"),
  });
}

function definedOnly(values: Overrides): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function objectOr(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidParameter("an object", name, value);
  return value as Record<string, unknown>;
}

function integer(value: unknown, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`an integer from ${min} to ${max}`, name, value);
  }
  return value;
}

function number(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw invalidParameter("a number of 0 or more", name, value);
  return value;
}

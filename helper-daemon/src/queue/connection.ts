/**
 * Connections to the studio's Redis for BullMQ: `redis://HOST:PORT[/DB]` or `rediss://` (TLS).
 * A Redis outage never crashes a client or a worker: ioredis reconnects with a capped backoff,
 * commands wait (BullMQ needs `maxRetriesPerRequest: null`), and one clear line says so.
 */
import { Redis } from "ioredis";
import { invalidParameter } from "@portrait-upscale/shared";

/** The BullMQ queue every batch client and worker shares. */
export const QUEUE_NAME = "portrait-upscale";

/** Longest wait between reconnection attempts. */
const MAX_RETRY_MS = 5_000;

/** A validated queue URL. */
export interface QueueUrl {
  readonly url: string;
  /** The URL without its password, for messages and reports. */
  readonly display: string;
  readonly tls: boolean;
}

/**
 * Checks a `--queue` value: INVALID_OPTION unless it is `redis://` or `rediss://` with a host.
 * @example parseQueueUrl("redis://gpu-1:6379/2").display // "redis://gpu-1:6379/2"
 */
export function parseQueueUrl(value: unknown, name = "--queue"): QueueUrl {
  const expected = "a Redis URL such as redis://HOST:PORT[/DB] or rediss://HOST:PORT[/DB]";
  if (typeof value !== "string") throw invalidParameter(expected, name, value);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalidParameter(expected, name, value);
  }
  if ((parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") || parsed.hostname === "") throw invalidParameter(expected, name, value);
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) throw invalidParameter(`${expected} (DB a number)`, name, value);
  const display = new URL(value);
  if (display.password) display.password = "***";
  return { url: value, display: display.toString(), tls: parsed.protocol === "rediss:" };
}

export interface ConnectionOptions {
  /** Told once when Redis becomes unreachable and once when it is back. */
  readonly log: (line: string) => void;
  /** Extra TLS options for `rediss://` (a private CA for a studio certificate). */
  readonly tls?: { readonly ca?: string | Buffer; readonly rejectUnauthorized?: boolean };
}

/**
 * A Redis connection for BullMQ that waits through outages instead of failing.
 * Close it with `quit()` (or `disconnect()`).
 */
export function connectRedis(queue: QueueUrl, options: ConnectionOptions): Redis {
  let down = false;
  const redis = new Redis(queue.url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 500, MAX_RETRY_MS),
    ...(queue.tls ? { tls: { ...options.tls } } : {}),
  });
  // Without an error listener an unreachable Redis would be an unhandled 'error' event.
  redis.on("error", (error: NodeJS.ErrnoException) => {
    if (down) return;
    down = true;
    options.log(`Redis at ${queue.display} is unreachable (${error.code ?? error.message}); waiting and retrying every few seconds.`);
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    options.log(`Redis at ${queue.display} is back; continuing.`);
  });
  return redis;
}

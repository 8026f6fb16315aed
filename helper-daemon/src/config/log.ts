/**
 * A small rotating log file: `daemon.log`, moved to `daemon.log.1` … `.N` when it passes
 * its size cap, so a daemon left running for months never fills the disk.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";

export interface Logger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** A logger that discards everything (tests, embedding). */
export const SILENT_LOGGER: Logger = { info() {}, warn() {}, error() {} };

/** Opens (creates) a rotating log at `file`, capped at `maxBytes` per generation. */
export function createFileLogger(file: string, maxBytes: number, generations: number): Logger {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    mkdirSync(file.slice(0, Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"))) || ".", { recursive: true });
  }
  function rotate(): void {
    rmSync(`${file}.${generations}`, { force: true });
    for (let index = generations - 1; index >= 1; index -= 1) {
      try {
        renameSync(`${file}.${index}`, `${file}.${index + 1}`);
      } catch {
        // A missing generation is normal on young logs.
      }
    }
    try {
      renameSync(file, `${file}.1`);
    } catch {
      // Nothing to rotate.
    }
    size = 0;
  }
  function write(level: string, message: string, data?: Record<string, unknown>): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, message, ...(data ? { data } : {}) })}\n`;
    const bytes = Buffer.byteLength(line);
    if (size + bytes > maxBytes && size > 0) rotate();
    try {
      appendFileSync(file, line, { mode: 0o600 });
      size += bytes;
    } catch {
      // Logging must never take the daemon down (full disk, removed folder).
    }
  }
  return {
    info: (message, data) => write("info", message, data),
    warn: (message, data) => write("warn", message, data),
    error: (message, data) => write("error", message, data),
  };
}

/**
 * The daemon's secret: 32 random bytes, base64url, created on first run and stored in the
 * config folder readable by this user only. Whoever can read it may use the daemon.
 */
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { PortraitError } from "@portrait-upscale/shared";
import { configFiles } from "./paths";

/** Reads the token, creating it (mode 0600) when the file does not exist yet. */
export async function ensureToken(dir: string): Promise<string> {
  const existing = await readToken(dir);
  if (existing) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("base64url");
  const file = configFiles(dir).token;
  try {
    // "wx": if another process created it in the meantime, keep theirs.
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return (await readToken(dir)) ?? token;
    throw new PortraitError("INTERNAL", `The token file ${file} cannot be written: ${(error as Error).message}`, { file });
  }
  // The umask may have widened the mode on creation.
  await chmod(file, 0o600).catch(() => undefined);
  return token;
}

/** The stored token, or undefined when there is none yet. */
export async function readToken(dir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(configFiles(dir).token, "utf8")).trim();
    return text.length > 0 ? text : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Compares a presented token with the real one in constant time (hashing equalises lengths). */
export function tokenMatches(presented: string, actual: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(actual).digest();
  return timingSafeEqual(a, b);
}

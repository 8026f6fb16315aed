/**
 * Named per-client tokens for a daemon shared on a studio LAN: each desk gets its own token,
 * which can be revoked alone. Only a SHA-256 hash of each token is stored (the token itself is
 * printed once, at creation); presented tokens are compared in constant time. The file is
 * re-read when it changes, so a revocation takes effect at the next request, without a restart.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import writeFileAtomic from "write-file-atomic";

/** The file in the config folder. */
export const CLIENT_TOKENS_FILE = "client-tokens.json";

/** One client as stored. */
export interface ClientTokenRecord {
  readonly name: string;
  /** SHA-256 of the token, hex. */
  readonly sha256: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function hashOf(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

function fileOf(dir: string): string {
  return join(dir, CLIENT_TOKENS_FILE);
}

/** Every record in `dir`'s token file (none when it does not exist). */
export async function readClientTokens(dir: string): Promise<ClientTokenRecord[]> {
  try {
    const parsed = JSON.parse(await readFile(fileOf(dir), "utf8")) as { clients?: ClientTokenRecord[] };
    return Array.isArray(parsed.clients) ? parsed.clients : [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new PortraitError("INTERNAL", `${fileOf(dir)} cannot be read: ${(error as Error).message}`, { file: fileOf(dir) });
  }
}

async function writeClientTokens(dir: string, clients: readonly ClientTokenRecord[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // 0600 whatever the umask: the hashes are for this user's eyes only.
  await writeFileAtomic(fileOf(dir), `${JSON.stringify({ clients }, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Creates a token for client `name` and returns it; only its hash is kept. INVALID_OPTION for a
 * bad or already used name.
 */
export async function createClientToken(dir: string, name: string): Promise<string> {
  if (!NAME.test(name)) throw invalidParameter("a name of letters, digits, '.', '_' or '-' (at most 64)", "NAME", name);
  const clients = await readClientTokens(dir);
  if (clients.some((client) => client.name === name && client.revokedAt === undefined)) {
    throw invalidParameter("a name not in use (revoke the old token first)", "NAME", name);
  }
  const token = `put_${randomBytes(32).toString("base64url")}`;
  const record: ClientTokenRecord = { name, sha256: hashOf(token).toString("hex"), createdAt: new Date().toISOString() };
  await writeClientTokens(dir, [...clients.filter((client) => client.name !== name), record]);
  return token;
}

/** Revokes client `name`'s token; INVALID_OPTION when no active token has that name. */
export async function revokeClientToken(dir: string, name: string): Promise<void> {
  const clients = await readClientTokens(dir);
  const index = clients.findIndex((client) => client.name === name && client.revokedAt === undefined);
  if (index < 0) throw invalidParameter(`the name of an active client token (${clients.filter((c) => !c.revokedAt).map((c) => c.name).join(", ") || "none"})`, "NAME", name);
  const updated = clients.map((client, at) => (at === index ? { ...client, revokedAt: new Date().toISOString() } : client));
  await writeClientTokens(dir, updated);
}

/**
 * Which client a presented token belongs to, against the records in `dir`: every active hash
 * is compared (no early exit), each in constant time.
 */
export class ClientTokens {
  #records: readonly ClientTokenRecord[] = [];
  #loadedVersion = "";

  constructor(private readonly dir: string) {}

  /**
   * The client name for `presented`, or undefined when no active token matches. Synchronous:
   * the file is a few hundred bytes and re-read only when it changed.
   */
  identify(presented: string): string | undefined {
    this.#refresh();
    const hash = hashOf(presented);
    let found: string | undefined;
    for (const record of this.#records) {
      const matches = timingSafeEqual(hash, Buffer.from(record.sha256, "hex"));
      if (matches && record.revokedAt === undefined) found = record.name;
    }
    return found;
  }

  #refresh(): void {
    const info = statSync(fileOf(this.dir), { throwIfNoEntry: false });
    // Writes replace the file by rename, so a new inode marks every change.
    const version = info ? `${info.ino}:${info.mtimeMs}:${info.size}` : "none";
    if (version === this.#loadedVersion) return;
    const parsed = info ? (JSON.parse(readFileSync(fileOf(this.dir), "utf8")) as { clients?: ClientTokenRecord[] }) : {};
    this.#records = (Array.isArray(parsed.clients) ? parsed.clients : []).filter((record) => /^[0-9a-f]{64}$/.test(record.sha256));
    this.#loadedVersion = version;
  }
}

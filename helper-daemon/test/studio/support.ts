/**
 * Test support for the studio features: small portrait crops with a subfolder and a broken
 * file, the CLI as a real child process, and a private redis-server per test on a free port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import sharp from "sharp";
import { repoPath } from "../../../test/support/paths";

export const BIN = repoPath("helper-daemon", "bin", "portrait-upscale.js");
const FIXTURE = repoPath("test", "fixtures", "astronaut-face-64.png");

/** Writes `count` 24 px crops of the portrait (PNG and JPEG) under `dir`, some in `dir/sub`, plus `dir/sub/broken.png`. */
export async function writeShoot(dir: string, count: number): Promise<{ good: string[]; broken: string }> {
  await mkdir(join(dir, "sub"), { recursive: true });
  const good: string[] = [];
  for (let index = 0; index < count; index++) {
    const name = index % 2 === 0 ? `face-${index}.png` : join("sub", `face-${index}.jpg`);
    const crop = sharp(FIXTURE).extract({ left: 4 * index, top: 2 * index, width: 24, height: 24 }).removeAlpha();
    await writeFile(join(dir, name), await (name.endsWith(".png") ? crop.png() : crop.jpeg({ quality: 95 })).toBuffer());
    good.push(name);
  }
  const broken = join("sub", "broken.png");
  await writeFile(join(dir, broken), "this is not an image\n");
  return { good, broken };
}

/** Every file under `dir`, relative and `/`-separated, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/"))
    .sort();
}

/** A CLI child process with its output collected. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves to the exit code (or 128 + signal number style code from Node: null → -1). */
  readonly exited: Promise<number>;
  /** Resolves once stderr contains `text`. */
  waitFor(text: string | RegExp): Promise<void>;
}

/** Starts `portrait-upscale ARGS` with its own config folder. */
export function startCli(args: readonly string[], options: { cwd: string; configDir: string; env?: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: options.configDir, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: { test: string | RegExp; resolve: () => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      if (typeof waiter.test === "string" ? err.includes(waiter.test) : waiter.test.test(err)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
    check();
  });
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : 0))));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (test) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ test, resolve });
        check();
        void exited.then(() => reject(new Error(`exited before printing ${String(test)}:\n${err}`)));
      }),
  };
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server (the Debian package) on `port`, without persistence. */
export interface TestRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts redis-server on `port` (a free one when omitted); resolves once it accepts connections.
 * With `tls` it listens for TLS only (`rediss://`), with that certificate and key.
 */
export async function startRedis(port?: number, tls?: { cert: string; key: string }): Promise<TestRedis & { readonly port: number }> {
  const chosen = port ?? (await freePort());
  const listen = tls
    ? ["--port", "0", "--tls-port", String(chosen), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-auth-clients", "no"]
    : ["--port", String(chosen)];
  const child = spawn("redis-server", [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${log}`)));
    child.once("error", reject);
  });
  return {
    port: chosen,
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${chosen}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

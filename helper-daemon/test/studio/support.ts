/**
 * Test support for the studio features: small portrait crops with a subfolder and a broken
 * file, the CLI as a real child process (and `serve`), and a private redis-server per test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import sharp from "sharp";
import { repositoryPath as repoPath } from "@portrait-upscale/models";

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

export { freePort, startPrivateRedis as startRedis, type PrivateRedis as TestRedis } from "../../src/queue/private-redis";

/** Starts `serve ARGS` and resolves with its URL once it has printed its whole greeting. */
export async function startServe(args: readonly string[], options: { cwd: string; configDir: string }): Promise<{ serve: CliProcess; url: string }> {
  const serve = startCli(["serve", "--port", "0", ...args], options);
  const url = await new Promise<string>((resolve, reject) => {
    void serve.exited.then(() => reject(new Error(`serve exited:\n${serve.stderr()}`)));
    const check = setInterval(() => {
      const match = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(serve.stdout());
      if (match && serve.stdout().includes("Press Ctrl-C to stop.")) {
        clearInterval(check);
        resolve(match[1]);
      }
    }, 50);
  });
  return { serve, url };
}

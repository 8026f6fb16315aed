/**
 * Test support: the daemon as users start it, `portrait-upscale serve` in its own process
 * (supervisor parent plus daemon child), with its own config and temporary folders.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./helpers";

const here = dirname(fileURLToPath(import.meta.url));
/** The built command line. */
export const CLI = join(here, "../../dist/cli.js");
export const REPOSITORY_ROOT = join(here, "../../..");

/** Processes whose parent is `pid` (Linux: from /proc). */
export function childrenOf(pid: number): number[] {
  if (!existsSync("/proc")) return [];
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may contain spaces and parentheses; the fields after its closing one are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** True while a process with that id exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A running `serve`: its URL, token, folders, output so far and exit. */
export class ServeProcess {
  readonly child: ChildProcess;
  readonly configDir: string;
  readonly tempRoot: string;
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url = "";
  token = "";

  private constructor(child: ChildProcess, configDir: string, tempRoot: string) {
    this.child = child;
    this.configDir = configDir;
    this.tempRoot = tempRoot;
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  /**
   * Starts `serve --port 0` (or `command` with `args`, e.g. `npm start`) and waits until it
   * listens. `env` adds to this process's environment.
   */
  static async start(options: { command?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
    const configDir = await mkdtemp(join(tmpdir(), "pu-serve-config-"));
    const tempRoot = await mkdtemp(join(tmpdir(), "pu-serve-tmp-"));
    const child = spawn(options.command ?? process.execPath, options.args ?? [CLI, "serve", "--port", "0", "--provider", "cpu"], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ...options.env, PORTRAIT_UPSCALE_CONFIG_DIR: configDir, PORTRAIT_UPSCALE_TMPDIR: tempRoot },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const serve = new ServeProcess(child, configDir, tempRoot);
    await serve.waitListening();
    serve.token = (await readFile(join(configDir, "token"), "utf8")).trim();
    return serve;
  }

  /** Waits for the `n`-th "listening on" line (a restarted daemon prints it again) and takes its URL. */
  async waitListening(n = 1, timeoutMs = 60_000): Promise<void> {
    await waitFor(() => (this.output.match(/listening on http:\/\/\S+/g) ?? []).length >= n, timeoutMs, "the daemon to listen");
    const all = [...this.output.matchAll(/listening on (http:\/\/\S+)/g)];
    this.url = all[n - 1][1];
  }

  /** `Authorization` header with the token. */
  get auth(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }

  /** The daemon process (the supervisor's one child). */
  daemonPid(): number | undefined {
    return this.child.pid === undefined ? undefined : childrenOf(this.child.pid)[0];
  }

  /** The port the daemon listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /**
   * Stops with SIGTERM, waits for the exit, and removes the folders; resolves to the exit and
   * what was left in the temporary root before it was removed.
   */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; left: string[] }> {
    const daemon = this.daemonPid();
    this.child.kill("SIGTERM");
    const exit = await this.exited;
    if (daemon !== undefined && alive(daemon)) process.kill(daemon, "SIGKILL");
    const left = await readdir(this.tempRoot).catch(() => []);
    await rm(this.configDir, { recursive: true, force: true });
    await rm(this.tempRoot, { recursive: true, force: true });
    return { ...exit, left };
  }
}

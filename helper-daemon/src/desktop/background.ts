/**
 * Starting the daemon in the background and stopping it again, for the launchers and the
 * login item: `start` returns once the daemon answers its health check (or says why not).
 */
import { spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PortraitError } from "@portrait-upscale/shared";

/** What answers on the daemon's port. */
export type PortState = "ours" | "foreign" | "nothing";

/** The pid of a daemon started by {@link startInBackground}, in the config folder. */
export function pidFile(configDir: string): string {
  return join(configDir, "daemon.pid");
}

/** Asks `GET /v1/health` on 127.0.0.1:port who is listening. */
export async function probePort(port: number): Promise<PortState> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/health`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json().catch(() => ({}))) as { name?: unknown };
    return response.ok && body.name === "portrait-upscale" ? "ours" : "foreign";
  } catch {
    return "nothing";
  }
}

export interface StartOptions {
  readonly configDir: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  /** The command line's script (`app/cli.js` in a bundle). */
  readonly cliScript?: string;
  /** How long to wait for the daemon's health check. */
  readonly timeoutMs?: number;
}

/** Starts `serve` detached from this process unless the daemon already runs; resolves when it answers. */
export async function startInBackground(options: StartOptions): Promise<{ readonly alreadyRunning: boolean; readonly pid?: number }> {
  const state = await probePort(options.port);
  if (state === "ours") return { alreadyRunning: true };
  if (state === "foreign") {
    throw new PortraitError("INTERNAL", `Another program answers on port ${options.port}; stop it, or choose another port in config.json.`, { port: options.port });
  }
  const script = options.cliScript ?? process.argv[1];
  const child = spawn(process.execPath, [script, "serve", "--port", String(options.port)], {
    detached: true,
    stdio: "ignore",
    windowsHide: true,
    env: options.env,
  });
  const pid = child.pid;
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  child.unref();
  if (pid !== undefined) await writeFile(pidFile(options.configDir), `${pid}\n`);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== null) break;
    if ((await probePort(options.port)) === "ours") return { alreadyRunning: false, ...(pid !== undefined ? { pid } : {}) };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new PortraitError(
    "INTERNAL",
    exited !== null
      ? `The daemon stopped right after starting (exit ${exited}); its log is ${join(options.configDir, "daemon.log")}.`
      : `The daemon did not answer on port ${options.port} in time; its log is ${join(options.configDir, "daemon.log")}.`,
    { port: options.port },
  );
}

/** Stops a daemon started by {@link startInBackground}; resolves to whether one was running. */
export async function stopBackground(configDir: string, port: number): Promise<boolean> {
  const text = await readFile(pidFile(configDir), "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  await rm(pidFile(configDir), { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return false;
  }
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (isAlive(pid) || (await probePort(port)) === "ours")) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

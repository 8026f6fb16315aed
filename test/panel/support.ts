/**
 * What the panel's browser tests need: the harness built and served over HTTP, the real
 * daemon (`portrait-upscale serve`) with a temporary config folder that allows exactly the
 * harness's origin, and Debian's Chromium driven by playwright-core.
 *
 * The seam: the daemon refuses every browser `Origin` (a web page must not reach it), and UXP
 * sends none. The test daemon's config.json lists the harness's own origin in
 * `allowedOrigins` (a documented daemon option, exact match), so the harness connects while
 * every other origin is still refused.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { stopChild, waitForOutput } from "../support/child-process";
import { repoPath } from "../support/paths";

const run = promisify(execFile);

/** Builds the harness bundle into a fresh temporary folder. */
export async function buildHarness(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pu-harness-"));
  execFileSync(process.execPath, [repoPath("plugin-uxp", "build.mjs"), "--harness", dir], { stdio: "pipe" });
  return dir;
}

/** Rebuilds the daemon's bundle so the test runs the daemon as it is in the checkout. */
export function buildDaemon(): void {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon"), stdio: "pipe" });
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };

/** Serves `dir` on 127.0.0.1 (an ephemeral port); resolves to the server and its origin. */
export async function serveStatic(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (request, response) => {
    const name = new URL(request.url ?? "/", "http://x").pathname.replace(/^\/$/, "/index.html").slice(1);
    if (!/^[\w.-]+$/.test(name)) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(dir, name));
      response.writeHead(200, { "Content-Type": TYPES[extname(name)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export interface ServeProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGTERM (a clean stop), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The daemon's folders: config (token, config.json) and temporary root. */
export interface DaemonFolders {
  readonly configDir: string;
  readonly tempRoot: string;
  readonly studioDir: string;
}

/** Makes the folders and config.json: the harness origin allowed, a studio preset folder. */
export async function daemonFolders(harnessOrigin: string): Promise<DaemonFolders> {
  const root = await mkdtemp(join(tmpdir(), "pu-panel-daemon-"));
  const folders = { configDir: join(root, "config"), tempRoot: join(root, "tmp"), studioDir: join(root, "studio") };
  for (const dir of Object.values(folders)) await mkdir(dir, { recursive: true });
  await writeFile(join(folders.configDir, "config.json"), JSON.stringify({ allowedOrigins: [harnessOrigin], studioPresetFolder: folders.studioDir }));
  return folders;
}

function daemonEnv(folders: DaemonFolders): NodeJS.ProcessEnv {
  return { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: folders.configDir, PORTRAIT_UPSCALE_TMPDIR: folders.tempRoot };
}

/** Starts `portrait-upscale serve` (port 0 picks a free one) with `env` added; resolves once it listens. */
export async function startServe(folders: DaemonFolders, port = 0, extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [repoPath("helper-daemon", "dist", "cli.js"), "serve", "--port", String(port), ...extraArgs], {
    env: { ...daemonEnv(folders), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [, bound] = await waitForOutput(child, /listening on https?:\/\/127\.0\.0\.1:(\d+)/, "portrait-upscale serve");
  return {
    port: Number(bound),
    child,
    stop: (graceMs) => stopChild(child, graceMs),
  };
}

/** Runs `portrait-upscale pair` against the running daemon and returns the code it prints. */
export async function pairingCode(folders: DaemonFolders, port: number): Promise<string> {
  const { stdout } = await run(process.execPath, [repoPath("helper-daemon", "dist", "cli.js"), "pair", "--port", String(port)], { env: daemonEnv(folders) });
  const match = /Pairing code: (\d{3}-\d{3})/.exec(stdout);
  if (!match) throw new Error(`no pairing code in: ${stdout}`);
  return match[1];
}

/** The daemon's token, as `portrait-upscale serve` wrote it. */
export async function tokenOf(folders: DaemonFolders): Promise<string> {
  return (await readFile(join(folders.configDir, "token"), "utf8")).trim();
}

export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bitDepth: 8 | 16;
  readonly bytes: Buffer;
}

/**
 * The same job over HTTP on the same daemon (raw pixels in, raw out): the reference the
 * panel's smart object must equal.
 */
export async function httpUpscale(port: number, token: string, image: RawImage, options: Record<string, string | number>): Promise<RawImage> {
  const base = `http://127.0.0.1:${port}`;
  const headers = { Authorization: `Bearer ${token}` };
  const query = new URLSearchParams({
    width: String(image.width),
    height: String(image.height),
    channels: String(image.channels),
    bitDepth: String(image.bitDepth),
    ...Object.fromEntries(Object.entries(options).map(([key, value]) => [key, String(value)])),
  });
  const created = await fetch(`${base}/v1/jobs?${query}`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/octet-stream" },
    body: image.bytes,
  });
  if (created.status !== 202) throw new Error(`job refused: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const events = await (await fetch(`${base}/v1/jobs/${id}/events`, { headers })).text();
  const last = JSON.parse(events.trim().split("\n").at(-1) ?? "{}") as { type?: string };
  if (last.type !== "done") throw new Error(`job ended with ${events}`);
  const result = await fetch(`${base}/v1/jobs/${id}/result?format=raw`, { headers });
  return {
    width: Number(result.headers.get("X-Image-Width")),
    height: Number(result.headers.get("X-Image-Height")),
    channels: Number(result.headers.get("X-Image-Channels")),
    bitDepth: Number(result.headers.get("X-Image-Bit-Depth")) as 8 | 16,
    bytes: Buffer.from(await result.arrayBuffer()),
  };
}

const CHROMIUM = "/usr/bin/chromium";

/** Debian's Chromium, no downloaded browsers. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Expected Chromium at ${CHROMIUM} for the panel's browser tests: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Removes a folder tree (best effort). */
export async function removeTree(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/**
 * "Nothing leaves your machine": a real model run, by the command line and by the daemon,
 * with HOME, the temporary folder and the working folder pointed at empty folders, must leave
 * none of onnxruntime's telemetry files (mat-debug-<pid>.log, .ses,
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/). The child gets no ORT_* variable from
 * here: the program itself must turn telemetry off.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./helpers";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "../../dist/cli.js");
const face = join(here, "../../../test/fixtures/astronaut-face-64.png");

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** Empty home, temp, working and config folders, and an environment naming them (without any ORT_* variable). */
async function emptyWorld(): Promise<{ root: string; home: string; tmp: string; cwd: string; config: string; env: NodeJS.ProcessEnv }> {
  const base = await mkdtemp(join(tmpdir(), "pu-privacy-"));
  const [home, tmp, cwd, config] = ["home", "tmp", "cwd", "config"].map((name) => join(base, name));
  for (const folder of [home, tmp, cwd, config]) await mkdir(folder);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("ORT_") && !key.startsWith("XDG_")) env[key] = value;
  Object.assign(env, { HOME: home, TMPDIR: tmp, PORTRAIT_UPSCALE_CONFIG_DIR: config, PORTRAIT_UPSCALE_TMPDIR: tmp });
  return { root: base, home, tmp, cwd, config, env };
}

/** Every file and folder under `folder`, relative to it. */
async function everything(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries.map((entry) => relative(folder, join(folder, entry))).sort();
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("onnxruntime leaves nothing behind", () => {
  it("after `upscale` with a real model", async () => {
    const world = await emptyWorld();
    root = world.root;
    const output = join(world.cwd, "out.png");
    const result = await run(["upscale", face, "-o", output, "--model", "x4fast", "--scale", "2", "--provider", "cpu"], world.cwd, world.env);
    expect(result.code, result.output).toBe(0);
    expect(await everything(world.home)).toEqual([]);
    expect(await everything(world.tmp)).toEqual([]);
    expect(await everything(world.cwd)).toEqual(["out.png"]);
  });

  it("after a job in the daemon (`serve`)", async () => {
    const world = await emptyWorld();
    root = world.root;
    const child = spawn(process.execPath, [cli, "serve", "--port", "0", "--provider", "cpu"], { cwd: world.cwd, env: world.env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitFor(() => /Press Ctrl-C to stop/.test(log), 60_000, "the daemon to listen");
      const url = /listening on (http:\/\/\S+)/.exec(log)![1];
      const auth = { Authorization: `Bearer ${(await readFile(join(world.config, "token"), "utf8")).trim()}` };
      const created = await fetch(`${url}/v1/jobs?model=x4fast&scale=2`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body: await readFile(face) });
      expect(created.status).toBe(202);
      const { id } = await created.json();
      let state = "queued";
      await waitFor(async () => {
        state = (await (await fetch(`${url}/v1/jobs/${id}`, { headers: auth })).json()).state;
        return state !== "queued" && state !== "running";
      }, 60_000, "the job");
      expect(state).toBe("done");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(await everything(world.home)).toEqual([]);
    expect(await everything(world.tmp)).toEqual([]);
    expect(await everything(world.cwd)).toEqual([]);
  });
});

// One request, one path: the command line, a daemon job and a batch give the same bytes.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDaemon } from "../daemon/helpers";
import { runCliCaptured } from "../support/run-cli";
import { startUpscaleDaemon, type UpscaleTestDaemon } from "../support/upscale-daemon";
import { readJobEvents } from "../support/job-events";
import { writeShoot } from "./support";

const PRESET = "fast-preview";
let work: string;
let service: UpscaleTestDaemon;
let daemon: TestDaemon;

async function cli(args: readonly string[]): Promise<number> {
  const run = await runCliCaptured(args, { cwd: work, env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(work, "config") } });
  return run.code;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pu-one-path-"));
  await writeShoot(join(work, "shoot"), 2);
  service = await startUpscaleDaemon();
  daemon = service.daemon;
});
afterAll(async () => {
  await service?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("one request, one path", () => {
  it.each(["face-0.png", join("sub", "face-1.jpg")])("gives byte-identical %s from upscale, a daemon job and batch", async (name) => {
    const input = join(work, "shoot", name);
    const cliOut = join(work, "cli-" + name.replace(/[\\/]/g, "-"));
    expect(await cli(["upscale", input, "-o", cliOut, "--preset", PRESET])).toBe(0);
    const cliBytes = await readFile(cliOut);

    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?preset=${PRESET}`, { method: "POST", headers: { ...auth, "Content-Type": name.endsWith(".png") ? "image/png" : "image/jpeg" }, body: await readFile(input) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    await readJobEvents(daemon, id);
    const daemonBytes = Buffer.from(await (await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth })).arrayBuffer());

    expect(await cli(["batch", input, "-o", join(work, "batch"), "--preset", PRESET])).toBe(0);
    const batchBytes = await readFile(join(work, "batch", name.split(/[\\/]/).at(-1)!));

    expect(cliBytes.length).toBeGreaterThan(0);
    expect(Buffer.compare(daemonBytes, cliBytes)).toBe(0);
    expect(Buffer.compare(batchBytes, cliBytes)).toBe(0);
  });
});

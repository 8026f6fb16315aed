// `serve --queue`: a laptop's daemon forwards panel (WebSocket, raw pixels) and GIMP (HTTP,
// PNG) jobs to a studio worker over a real redis-server, with the same protocol and progress,
// and offers the devices the worker serves (two, named to it as a two-GPU machine's would be).
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryPath as repoPath } from "@portrait-upscale/models";
import type { TestDaemon } from "../daemon/helpers";
import { TestWsClient } from "../daemon/ws-client";
import { DEVICES_ENV } from "../../src/server/devices";
import { runCliCaptured } from "../support/run-cli";
import { readJobEvents } from "../support/job-events";
import { startCli, startRedis, startServe, writeShoot, type CliProcess, type TestRedis } from "./support";

const PRESET = "fast-preview";
let work: string;
let redis: TestRedis;
let worker: CliProcess;
let serve: CliProcess;
let url: string;
let token: string;
let reference: Buffer;

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon") });
  work = await mkdtemp(join(tmpdir(), "pu-serve-queue-"));
  await writeShoot(join(work, "shoot"), 1);
  await mkdir(join(work, "reference"));
  const env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(work, "laptop") };
  expect((await runCliCaptured(["upscale", join("shoot", "face-0.png"), "-o", join("reference", "face-0.png"), "--preset", PRESET], { cwd: work, env })).code).toBe(0);
  reference = await readFile(join(work, "reference", "face-0.png"));
  redis = await startRedis();
  worker = startCli(["worker", "--queue", redis.url, "--name", "gpu-1", "--provider", "cpu"], {
    cwd: work,
    configDir: join(work, "gpu"),
    env: { [DEVICES_ENV]: JSON.stringify([{ index: 0, name: "GPU A" }, { index: 1, name: "GPU B" }]) },
  });
  await worker.waitFor("taking jobs");
  ({ serve, url } = await startServe(["--queue", redis.url], { cwd: work, configDir: join(work, "laptop") }));
  token = (await readFile(join(work, "laptop", "token"), "utf8")).trim();
});
afterAll(async () => {
  for (const process of [serve, worker]) {
    process?.child.kill("SIGTERM");
    await process?.exited;
  }
  await redis?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("serve --queue", () => {
  it("says where jobs run", () => {
    expect(serve.stdout()).toContain(`Jobs run on the studio's workers at ${redis.url}`);
  });

  it("runs a GIMP-style HTTP job on the worker: progress events, then the command line's bytes", async () => {
    const auth = { Authorization: `Bearer ${token}` };
    const created = await fetch(`${url}/v1/jobs?preset=${PRESET}`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body: await readFile(join(work, "shoot", "face-0.png")) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const lines = await readJobEvents({ url, token }, id);
    // Fast Preview draws its fidelity model on faces only; this tiny shot has none, so x4fast runs alone.
    expect(lines.at(-1)).toMatchObject({ type: "done", result: { width: 48, height: 48, models: ["realesrgan-x4fast"] } });
    // The worker samples percent within a stage but sends every stage change: none is lost, even in a 48-px preview.
    const stages = lines.filter((line) => line.type === "progress").map((line) => line.stage).filter((stage, index, all) => stage !== all[index - 1]);
    expect(stages.slice(stages.lastIndexOf("queued") + 1)).toEqual(["decode", "faces", "upscale", "blend", "encode"]);
    const result = Buffer.from(await (await fetch(`${url}/v1/jobs/${id}/result`, { headers: auth })).arrayBuffer());
    expect(Buffer.compare(result, reference)).toBe(0);
    expect(worker.stderr()).toContain(`done daemon job`);
  });

  it("runs a panel's raw-pixel WebSocket job on the worker with the command line's pixels", async () => {
    const { data, info } = await sharp(join(work, "shoot", "face-0.png")).raw().toBuffer({ resolveWithObject: true });
    const client = await TestWsClient.connect({ wsUrl: `${url.replace("http", "ws")}/v1/ws`, token } as unknown as TestDaemon);
    try {
      const jobId = await client.submit(new Uint8Array(data), { width: info.width, height: info.height, channels: info.channels, bitDepth: 8 }, { preset: PRESET });
      const { bytes, progress } = await client.receiveResult(jobId);
      expect(progress).toBeGreaterThan(0);
      const expected = await sharp(reference).raw().toBuffer();
      expect(Buffer.compare(Buffer.from(bytes), expected)).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("lists every device the worker serves, the laptop's configured one as the default", async () => {
    expect(worker.stderr()).toContain("(device 0, 1; concurrency 1 per device)");
    const response = await fetch(`${url}/v1/devices`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await response.json()).toEqual({
      devices: [
        { id: 0, provider: "cpu", name: "GPU A (gpu-1)", default: true },
        { id: 1, provider: "cpu", name: "GPU B (gpu-1)", default: false },
      ],
    });
  });

  it("runs a job that names device 1 on the worker's device 1, with the command line's bytes", async () => {
    const auth = { Authorization: `Bearer ${token}` };
    const created = await fetch(`${url}/v1/jobs?preset=${PRESET}&device=1`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body: await readFile(join(work, "shoot", "face-0.png")) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    expect((await readJobEvents({ url, token }, id)).at(-1)).toMatchObject({ type: "done" });
    const result = Buffer.from(await (await fetch(`${url}/v1/jobs/${id}/result`, { headers: auth })).arrayBuffer());
    expect(Buffer.compare(result, reference)).toBe(0);
    expect(worker.stderr()).toMatch(/started daemon job \S+ on device 1\n/);
  });

  it("shares a device's concurrency between the jobs naming it and the rest: one job at a time per device", async () => {
    const auth = { Authorization: `Bearer ${token}` };
    const body = await readFile(join(work, "shoot", "face-0.png"));
    const submit = async (query: string): Promise<string> => {
      const created = await fetch(`${url}/v1/jobs?preset=${PRESET}${query}`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body });
      expect(created.status).toBe(202);
      return ((await created.json()) as { id: string }).id;
    };
    // Four: as many as one client may have queued or running at once.
    const ids = await Promise.all(["&device=1", "", "&device=1", ""].map(submit));
    for (const id of ids) expect((await readJobEvents({ url, token }, id)).at(-1)).toMatchObject({ type: "done" });
    // The worker's log, in order: never two jobs started and not yet done on one device.
    const running = new Map<string, number>();
    let most = 0;
    for (const [, event, device] of worker.stderr().matchAll(/^(started|done) daemon job \S+ on device (\d+)$/gm)) {
      running.set(device, (running.get(device) ?? 0) + (event === "started" ? 1 : -1));
      most = Math.max(most, ...running.values());
    }
    expect(most).toBe(1);
    expect(worker.stderr()).toMatch(/started daemon job \S+ on device 1\n[^]*started daemon job \S+ on device 1\n/);
  });

  it("refuses a device no worker serves with DEVICE_UNKNOWN, listing those that are", async () => {
    const created = await fetch(`${url}/v1/jobs?preset=${PRESET}&device=2`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "image/png" }, body: await readFile(join(work, "shoot", "face-0.png")) });
    expect(created.status).toBe(400);
    expect(await created.json()).toMatchObject({ error: { code: "DEVICE_UNKNOWN", data: { device: 2, devices: [0, 1], default: 0 } } });
  });
});

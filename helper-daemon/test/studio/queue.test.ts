// A pool of workers on a real redis-server: BullMQ's stalled-job recovery after a SIGKILL,
// preset refusal, and a batch waiting through a Redis outage.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS } from "@portrait-upscale/shared";
import { repositoryPath as repoPath } from "@portrait-upscale/models";
import { runCliCaptured } from "../support/run-cli";
import { filesUnder, freePort, startCli, startRedis, writeShoot, type CliProcess, type TestRedis } from "./support";

const PRESET = "fast-preview";
const DEVICE = ["--provider", "cpu", "--threads", "1"];
let work: string;
let shoot: { good: string[]; broken: string };
const started: (CliProcess | TestRedis)[] = [];

function cli(args: readonly string[], configDir = join(work, "config"), env?: NodeJS.ProcessEnv): CliProcess {
  const run = startCli(args, { cwd: work, configDir, ...(env ? { env } : {}) });
  started.push(run);
  return run;
}

function worker(url: string, name: string, configDir?: string, env?: NodeJS.ProcessEnv): CliProcess {
  return cli(["worker", "--queue", url, "--name", name, "--lock-seconds", "2", ...DEVICE], configDir, env);
}

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon") });
  work = await mkdtemp(join(tmpdir(), "pu-queue-"));
  shoot = await writeShoot(join(work, "shoot"), 6);
  // The single-image command line's results, for comparison.
  await mkdir(join(work, "reference", "sub"), { recursive: true });
  for (const name of shoot.good) {
    const run = await runCliCaptured(["upscale", join("shoot", name), "-o", join("reference", name), "--preset", PRESET, ...DEVICE], {
      cwd: work,
      env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(work, "config") },
    });
    expect(run.code, run.stderr).toBe(0);
  }
});
afterEach(async () => {
  for (const process of started.splice(0)) {
    if ("child" in process) {
      if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill("SIGKILL");
      await process.exited;
    } else await process.stop();
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("batch --queue with workers", () => {
  it("survives a worker killed mid-batch: every good input once, pixel-identical to upscale; the broken one reported with its code", async () => {
    const redis = await startRedis();
    started.push(redis);
    const doomed = worker(redis.url, "doomed");
    const steady = worker(redis.url, "steady");
    await Promise.all([doomed.waitFor("taking jobs"), steady.waitFor("taking jobs")]);
    const batch = cli(["batch", "shoot", "-o", "out", "--queue", redis.url, "--preset", PRESET, "--progress", "lines"]);
    await doomed.waitFor("started ");
    doomed.child.kill("SIGKILL");
    expect(await batch.exited).toBe(3);
    expect(await filesUnder(join(work, "out"))).toEqual(["batch.json", ...shoot.good].sort());
    for (const name of shoot.good) {
      expect(Buffer.compare(await readFile(join(work, "out", name)), await readFile(join(work, "reference", name))), name).toBe(0);
    }
    const report = JSON.parse(await readFile(join(work, "out", "batch.json"), "utf8"));
    expect(report.counts).toEqual({ done: shoot.good.length, skipped: 0, failed: 1, pending: 0 });
    expect(report.ranOn).toBe(`${redis.url}`);
    const inputs = report.files.map((entry: { input: string }) => entry.input);
    expect(new Set(inputs).size).toBe(inputs.length);
    expect(report.files.find((entry: { status: string }) => entry.status === "failed")).toMatchObject({
      input: join(work, "shoot", shoot.broken),
      error: { code: "INPUT_NOT_IMAGE" },
    });
    // The killed worker's job was taken again by the one left.
    const doomedInput = doomed.stderr().match(/started (.+)\n/)![1];
    const retried = report.files.find((entry: { input: string }) => entry.input === doomedInput);
    expect(retried).toMatchObject({ status: "done", worker: "steady" });
  });

  it("one worker with two device slots (--devices 0,1 on the CPU) routes jobs to both device ids", async () => {
    // A real second GPU is not available here; the CPU provider accepts a device id and ignores it.
    const redis = await startRedis();
    started.push(redis);
    const both = cli(["worker", "--queue", redis.url, "--name", "two-gpus", "--devices", "0,1", "--concurrency", "1", ...DEVICE]);
    await both.waitFor("taking jobs");
    expect(both.stderr()).toContain("(device 0, 1; concurrency 1 per device)");
    const batch = cli(["batch", "shoot", "-o", "devices", "--queue", redis.url, "--preset", PRESET]);
    expect(await batch.exited).toBe(3);
    const report = JSON.parse(await readFile(join(work, "devices", "batch.json"), "utf8"));
    const done = report.files.filter((entry: { status: string }) => entry.status === "done");
    expect(done).toHaveLength(shoot.good.length);
    expect(new Set(done.map((entry: { worker: string }) => entry.worker))).toEqual(new Set(["two-gpus"]));
    expect(new Set(done.map((entry: { device: number }) => entry.device))).toEqual(new Set([0, 1]));
    for (const name of shoot.good) {
      expect(Buffer.compare(await readFile(join(work, "devices", name)), await readFile(join(work, "reference", name))), name).toBe(0);
    }
  });

  it("a worker whose preset differs refuses the job with PRESET_MISMATCH", async () => {
    const redis = await startRedis();
    started.push(redis);
    const fast = BUILT_IN_PRESETS.find((preset) => preset.id === PRESET)!;
    const preset = { ...fast, id: "studio-house", name: "House style" };
    for (const [dir, creativity] of [["client-config", 0.3], ["worker-config", 0.6]] as const) {
      await mkdir(join(work, dir, "presets"), { recursive: true });
      await writeFile(join(work, dir, "presets", "studio-house.json"), JSON.stringify({ ...preset, creativity }));
    }
    const other = worker(redis.url, "elsewhere", join(work, "worker-config"));
    await other.waitFor("taking jobs");
    const batch = cli(["batch", join("shoot", shoot.good[0]), "-o", "mismatch", "--queue", redis.url, "--preset", "studio-house"], join(work, "client-config"));
    expect(await batch.exited).toBe(2);
    const report = JSON.parse(await readFile(join(work, "mismatch", "batch.json"), "utf8"));
    expect(report.files[0]).toMatchObject({ status: "failed", error: { code: "PRESET_MISMATCH", data: { worker: "elsewhere" } } });
    expect(await filesUnder(join(work, "mismatch"))).toEqual(["batch.json"]);
  });

  it("waits through a Redis outage with a clear message, then finishes", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const batch = cli(["batch", join("shoot", shoot.good[0]), "-o", "outage", "--queue", url, "--preset", PRESET]);
    await batch.waitFor(`Redis at ${url} is unreachable`);
    const redis = await startRedis(port);
    started.push(redis);
    const late = worker(url, "late");
    expect(await batch.exited).toBe(0);
    expect(batch.stderr()).toContain(`Redis at ${url} is back; continuing.`);
    expect(Buffer.compare(await readFile(join(work, "outage", shoot.good[0])), await readFile(join(work, "reference", shoot.good[0])))).toBe(0);
    expect(late.stderr()).toContain("taking jobs");
  });

  it("runs over rediss:// (TLS) with the studio's certificate trusted through NODE_EXTRA_CA_CERTS", async () => {
    const cert = join(work, "redis-cert.pem");
    const key = join(work, "redis-key.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], { stdio: "ignore" });
    const redis = await startRedis(undefined, { cert, key });
    started.push(redis);
    expect(redis.url.startsWith("rediss://")).toBe(true);
    const env = { NODE_EXTRA_CA_CERTS: cert };
    const secure = worker(redis.url, "secure", undefined, env);
    await secure.waitFor("taking jobs");
    const batch = cli(["batch", join("shoot", shoot.good[0]), "-o", "over-tls", "--queue", redis.url, "--preset", PRESET], undefined, env);
    expect(await batch.exited).toBe(0);
    expect(Buffer.compare(await readFile(join(work, "over-tls", shoot.good[0])), await readFile(join(work, "reference", shoot.good[0])))).toBe(0);
  });
});

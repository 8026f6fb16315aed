/** Unit tests for the daemon's small parts: config, token, log rotation, pairing, host and origin checks, the queue. */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { DEFAULT_CONFIG, loadConfig, parseConfig } from "../../src/config/config";
import { createFileLogger } from "../../src/config/log";
import { configDir } from "../../src/config/paths";
import { ensureToken, readToken, tokenMatches } from "../../src/config/token";
import { JobEngine } from "../../src/jobs/engine";
import { FairQueue } from "../../src/jobs/fair-queue";
import type { JobInput, JobRunner } from "../../src/jobs/types";
import { PAIRING_LIMITS, Pairing } from "../../src/server/pairing";
import { allowedHostHeaders, checkHost, checkOrigin, isLoopbackHost } from "../../src/server/security";
import { waitFor } from "./helpers";

const folders: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pu-unit-"));
  folders.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof PortraitError ? error.code : "not a PortraitError";
  }
  return undefined;
}

describe("config", () => {
  it("finds the config folder per platform, with the override first", () => {
    expect(configDir({ PORTRAIT_UPSCALE_CONFIG_DIR: "/x" }, "linux")).toBe("/x");
    expect(configDir({ XDG_CONFIG_HOME: "/xdg" }, "linux")).toBe(join("/xdg", "portrait-upscale"));
    expect(configDir({ APPDATA: "C:\\Users\\a\\AppData\\Roaming" }, "win32")).toBe(join("C:\\Users\\a\\AppData\\Roaming", "portrait-upscale"));
    expect(configDir({}, "darwin")).toMatch(/Library[\\/]Application Support[\\/]portrait-upscale$/);
  });

  it("fills defaults, reads config.json, and lets flags win", async () => {
    const dir = await folder();
    expect(await loadConfig(dir)).toEqual(DEFAULT_CONFIG);
    await writeFile(join(dir, "config.json"), JSON.stringify({ port: 8000, limits: { maxJobsPerClient: 2 }, resultRetentionSeconds: 60 }));
    const config = await loadConfig(dir, { port: 9000, host: undefined });
    expect(config.port).toBe(9000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.limits.maxJobsPerClient).toBe(2);
    expect(config.limits.maxInputPixels).toBe(DEFAULT_CONFIG.limits.maxInputPixels);
    expect(config.resultRetentionSeconds).toBe(60);
  });

  it("refuses bad values with the one message shape", async () => {
    expect(() => parseConfig({ port: 70000 })).toThrow("Expected an integer from 0 to 65535 for port but received 70000 of type number");
    expect(() => parseConfig({ prot: 1 })).toThrow(/^Expected no such field \(known: port, host, .*\) for prot but received 1 of type number/);
    expect(codeOf(() => parseConfig({ limits: { maxUploadBytes: "1" } }))).toBe("INVALID_OPTION");
    expect(parseConfig({}).device).toBe(0);
    expect(parseConfig({ device: 1 }).device).toBe(1);
    expect(() => parseConfig({ device: -1 })).toThrow("Expected an integer from 0 to 64 for device but received -1 of type number");
    const dir = await folder();
    await writeFile(join(dir, "config.json"), "{ not json");
    await expect(loadConfig(dir)).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });
});

describe("token", () => {
  it("is created once, 32 random bytes in base64url, readable by the owner only", async () => {
    const dir = join(await folder(), "nested");
    const token = await ensureToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await ensureToken(dir)).toBe(token);
    expect(await readToken(dir)).toBe(token);
    if (process.platform !== "win32") expect((await stat(join(dir, "token"))).mode & 0o777).toBe(0o600);
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token.slice(1), token)).toBe(false);
    expect(tokenMatches("", token)).toBe(false);
  });
});

describe("log", () => {
  it("rotates at its size cap and keeps a few generations", async () => {
    const dir = await folder();
    const log = createFileLogger(join(dir, "daemon.log"), 2000, 2);
    for (let i = 0; i < 100; i += 1) log.info("line", { i, pad: "x".repeat(50) });
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(["daemon.log", "daemon.log.1", "daemon.log.2"]);
    for (const file of files) expect((await stat(join(dir, file))).size).toBeLessThanOrEqual(2000);
    const last = (await readFile(join(dir, "daemon.log"), "utf8")).trim().split("\n").at(-1)!;
    expect(JSON.parse(last)).toMatchObject({ level: "info", message: "line", data: { i: 99 } });
  });
});

describe("pairing", () => {
  it("accepts a code once, before it expires", () => {
    let now = 1_000_000;
    const pairing = new Pairing("the-token", { now: () => now });
    const { code, expiresAt } = pairing.createCode();
    expect(code).toMatch(/^\d{3}-\d{3}$/);
    expect(expiresAt).toBe(now + 120_000);
    expect(pairing.redeem(code, "panel")).toBe("the-token");
    expect(codeOf(() => pairing.redeem(code, "panel"))).toBe("PAIRING_INVALID");
    const late = pairing.createCode();
    now += 120_001;
    expect(codeOf(() => pairing.redeem(late.code, "panel"))).toBe("PAIRING_INVALID");
  });

  it("throttles a guesser without burning the code or slowing anyone else", () => {
    let now = 0;
    const pairing = new Pairing("t", { now: () => now });
    const { code } = pairing.createCode();
    const wrong = code === "111-111" ? "222-222" : "111-111";
    // One wrong guess every 3 s for a minute: the defect that denied pairing to the user.
    for (let i = 0; i < 20; i += 1, now += 3000) expect(codeOf(() => pairing.redeem(wrong, "attacker"))).toBe("PAIRING_INVALID");
    expect(pairing.redeem(code, "user")).toBe("t");
  });

  it("tells a throttled guesser when to retry, and lets it in again after waiting", () => {
    let now = 0;
    const pairing = new Pairing("t", { now: () => now });
    const { code } = pairing.createCode();
    const wrong = code === "111-111" ? "222-222" : "111-111";
    for (let i = 0; i < PAIRING_LIMITS.requesterBurst; i += 1) expect(codeOf(() => pairing.redeem(wrong, "me"))).toBe("PAIRING_INVALID");
    let retry: unknown;
    try {
      pairing.redeem(code, "me");
    } catch (error) {
      retry = (error as PortraitError).data?.retryAfterSeconds;
    }
    expect(retry).toBe(PAIRING_LIMITS.requesterRefillMs / 1000);
    now += PAIRING_LIMITS.requesterRefillMs;
    expect(pairing.redeem(code, "me")).toBe("t");
  });

  it("checks at most the documented number of guesses against one code, however many guessers", () => {
    let now = 0;
    const pairing = new Pairing("t", { now: () => now });
    pairing.createCode();
    let checked = 0;
    // A flood from fresh requesters (a new socket per guess), 100 guesses a second for the code's lifetime.
    for (let i = 0; now < PAIRING_LIMITS.lifetimeMs; i += 1, now += 10) {
      try {
        pairing.redeem("000-000", `guesser-${i}`);
      } catch (error) {
        if ((error as PortraitError).data?.retryAfterSeconds === undefined) checked += 1;
      }
    }
    const bound = PAIRING_LIMITS.globalBurst + PAIRING_LIMITS.lifetimeMs / PAIRING_LIMITS.globalRefillMs;
    expect(checked).toBeLessThanOrEqual(bound);
    expect(bound).toBe(270);
  });
});

describe("host and origin checks", () => {
  it("allows loopback names on the port, and a configured public host", () => {
    const loopback = allowedHostHeaders(7421, "127.0.0.1");
    expect([...loopback].sort()).toEqual(["127.0.0.1:7421", "[::1]:7421", "localhost:7421"]);
    expect(codeOf(() => checkHost({ host: "localhost:7421" }, loopback))).toBeUndefined();
    expect(codeOf(() => checkHost({ host: "localhost:7422" }, loopback))).toBe("HOST_FORBIDDEN");
    expect(codeOf(() => checkHost({}, loopback))).toBe("HOST_FORBIDDEN");
    const studio = allowedHostHeaders(7421, "studio-pc.local");
    expect(codeOf(() => checkHost({ host: "studio-pc.local:7421" }, studio))).toBeUndefined();
    const everywhere = allowedHostHeaders(7421, "0.0.0.0");
    expect(everywhere.has("127.0.0.1:7421")).toBe(true);
    expect(everywhere.has(`${hostname().toLowerCase()}:7421`)).toBe(true);
    expect(everywhere.has("evil.example:7421")).toBe(false);
    expect(isLoopbackHost("127.0.0.2")).toBe(true);
    expect(isLoopbackHost("192.168.0.2")).toBe(false);
  });

  it("allows no Origin and UXP plug-in origins only", () => {
    expect(codeOf(() => checkOrigin({}, []))).toBeUndefined();
    expect(codeOf(() => checkOrigin({ origin: "plugin://com.example" }, []))).toBeUndefined();
    expect(codeOf(() => checkOrigin({ origin: "https://example.com" }, []))).toBe("ORIGIN_FORBIDDEN");
    expect(codeOf(() => checkOrigin({ origin: "null" }, []))).toBe("ORIGIN_FORBIDDEN");
    expect(codeOf(() => checkOrigin({ origin: "null" }, ["null"]))).toBeUndefined();
  });
});

describe("job engine", () => {
  const input: JobInput = { image: { kind: "raw", width: 1, height: 1, channels: 1, bitDepth: 8, bytes: new Uint8Array(1) }, options: {} };

  /** A runner whose jobs finish when the test says so, recording the order they started in. */
  function gatedRunner(started: string[]): { runner: JobRunner; release(): void } {
    const gates: (() => void)[] = [];
    return {
      runner: {
        async run(job, context) {
          started.push(String(job.options.preset));
          await new Promise<void>((resolve, reject) => {
            gates.push(resolve);
            context.signal.addEventListener("abort", () => reject(new PortraitError("CANCELLED")), { once: true });
          });
          return { image: job.image as never, width: 1, height: 1, channels: 1, bitDepth: 8, provider: "test", models: [], timings: { totalMs: 0, inferenceMs: 0 } };
        },
      },
      release: () => gates.shift()?.(),
    };
  }

  it("serves clients round-robin, one job at a time", async () => {
    const dir = await folder();
    const started: string[] = [];
    const gated = gatedRunner(started);
    const engine = new JobEngine({ runner: gated.runner, concurrency: 1, maxJobsPerClient: 10, retentionMs: 60_000, spillBytes: 1 << 20, tempDir: dir });
    for (const preset of ["a1", "a2", "a3"]) engine.submit("a", { ...input, options: { preset } });
    for (const preset of ["b1", "b2"]) engine.submit("b", { ...input, options: { preset } });
    engine.submit("c", { ...input, options: { preset: "c1" } });
    for (let i = 0; i < 6; i += 1) {
      await waitFor(() => started.length === i + 1);
      expect(engine.stats().running).toBe(1);
      gated.release();
    }
    expect(started).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
    await engine.shutdown();
  });

  it("cancels queued and running jobs, and a disconnected client's unkept jobs", async () => {
    const dir = await folder();
    const gated = gatedRunner([]);
    const engine = new JobEngine({ runner: gated.runner, concurrency: 1, maxJobsPerClient: 2, retentionMs: 60_000, spillBytes: 0, tempDir: dir });
    const running = engine.submit("a", input);
    const queued = engine.submit("a", input);
    expect(codeOf(() => engine.submit("a", input))).toBe("TOO_MANY_JOBS");
    await waitFor(() => engine.status(running.id).state === "running");
    expect(engine.cancel(queued.id).state).toBe("cancelled");
    expect(engine.cancel(running.id).error?.code).toBe("CANCELLED");
    const kept = engine.submit("b", input, { keep: true });
    const dropped = engine.submit("b", input);
    engine.clientGone("b");
    expect(engine.status(dropped.id).state).toBe("cancelled");
    await waitFor(() => engine.status(kept.id).state === "running");
    gated.release(); // the gate of the cancelled job, which is no longer waiting
    gated.release();
    await waitFor(() => engine.status(kept.id).state === "done");
    expect(await readdir(dir)).toEqual([kept.id]);
    await engine.release(kept.id);
    expect(await readdir(dir)).toEqual([]);
    expect(codeOf(() => engine.status(kept.id))).toBe("JOB_UNKNOWN");
    await engine.shutdown();
  });

  it("drops finished results after the retention time", async () => {
    const dir = await folder();
    const gated = gatedRunner([]);
    const engine = new JobEngine({ runner: gated.runner, concurrency: 1, maxJobsPerClient: 2, retentionMs: 50, spillBytes: 0, tempDir: dir });
    const job = engine.submit("a", input);
    await waitFor(() => engine.status(job.id).state === "running");
    gated.release();
    await waitFor(() => !engine.has(job.id), 5000, "expiry");
    expect(await readdir(dir)).toEqual([]);
    await engine.shutdown();
  });
});

describe("fair queue", () => {
  it("serves clients in turn, each in its own order, and forgets removed items", () => {
    const queue = new FairQueue<string>();
    for (const [client, item] of [["a", "a1"], ["a", "a2"], ["a", "a3"], ["b", "b1"], ["c", "c1"], ["c", "c2"]]) queue.push(client, item);
    queue.remove("c", "c1");
    expect(queue.has("a", "a2")).toBe(true);
    const order: string[] = [];
    let item: string | undefined;
    while ((item = queue.take()) !== undefined) order.push(item);
    expect(order).toEqual(["a1", "b1", "c2", "a2", "a3"]);
    expect(queue.empty).toBe(true);
  });
});

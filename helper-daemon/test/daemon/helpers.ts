/**
 * Test support: each test starts its own daemon on an ephemeral loopback port with its own
 * config folder and temporary root, so it can check that nothing is left behind.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PortraitError, crc32, crc32Hex, type PresetSummary } from "@portrait-upscale/shared";
import { parseConfig } from "../../src/config/config";
import { ensureToken } from "../../src/config/token";
import { createFakeRunner, type FakeRunnerOptions } from "../../src/jobs/fake-runner";
import type { JobOptions, JobRunner } from "../../src/jobs/types";
import type { DaemonCatalog } from "../../src/server/context";
import { resolveDevice } from "../../src/server/devices";
import { startDaemon, type RunningDaemon } from "../../src/server/daemon";
import type { Logger } from "../../src/config/log";
import type { NetworkLimits } from "../../src/server/connections";
import type { WsOptions } from "../../src/server/ws-endpoint";

export const TEST_PRESET: PresetSummary = {
  id: "portrait-natural",
  name: "Natural portrait",
  description: "Test preset",
  scale: 2,
  locked: false,
  source: "built-in",
  values: { creativity: 0.2, resemblance: 0.8, denoise: 0.1, model: "x4plus", twoPass: false, cleanup: true, grain: false },
};

const LOCKED_PRESET: PresetSummary = { ...TEST_PRESET, id: "studio-locked", name: "Locked", locked: true, source: "studio" };

/** A catalog with two presets (one locked), no real models. */
export const testCatalog: DaemonCatalog = {
  providers: () => ({ available: ["cpu"], active: "cpu" }),
  models: () => [{ id: "nearest", name: "Nearest neighbour (test)", scale: 1, installed: true }],
  presets: () => [TEST_PRESET, LOCKED_PRESET],
  defaultPreset: () => TEST_PRESET.id,
  devices: () => [{ id: 0, provider: "cpu", name: "CPU", default: true }],
  checkOptions(options: JobOptions) {
    const preset = [TEST_PRESET, LOCKED_PRESET].find((p) => p.id === (options.preset ?? TEST_PRESET.id));
    if (!preset) throw new PortraitError("PRESET_UNKNOWN", undefined, { id: options.preset });
    const overridden = ["scale", "model", "creativity", "resemblance", "denoise"].some((key) => options[key as keyof JobOptions] !== undefined);
    if (preset.locked && overridden) throw new PortraitError("PRESET_LOCKED", undefined, { id: preset.id });
    return { scale: options.scale ?? preset.scale, device: resolveDevice(this.devices(), options.device) };
  },
  /** A minute per input megapixel per unit of scale: simple to check, like the real one in shape. */
  estimate(options: JobOptions, width: number, height: number) {
    const { scale } = this.checkOptions(options);
    const megapixels = (width * height) / 1e6;
    const seconds = Math.round(megapixels * scale * 600) / 10;
    return { seconds, provider: "cpu", device: resolveDevice(this.devices(), options.device), calibrated: false, models: [{ id: "nearest", megapixels, seconds }] };
  },
};

export interface TestDaemon extends RunningDaemon {
  readonly token: string;
  readonly configDir: string;
  readonly tempRoot: string;
  /** `127.0.0.1:port`, the Host header clients send. */
  readonly hostHeader: string;
  readonly wsUrl: string;
  /** Closes the daemon and removes its folders; returns the entries left in the temp root before removal. */
  stop(): Promise<string[]>;
}

export interface TestDaemonOptions {
  readonly runner?: JobRunner;
  readonly fake?: FakeRunnerOptions;
  readonly config?: Record<string, unknown>;
  readonly ws?: Partial<WsOptions>;
  readonly catalog?: DaemonCatalog;
  readonly network?: Partial<NetworkLimits>;
  readonly logger?: Logger;
}

/** Starts a daemon on 127.0.0.1:0 with the test catalog and (by default) the fake runner. */
export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const configDir = await mkdtemp(join(tmpdir(), "pu-config-"));
  const tempRoot = await mkdtemp(join(tmpdir(), "pu-tmp-"));
  const token = await ensureToken(configDir);
  const config = parseConfig({ port: 0, host: "127.0.0.1", ...options.config });
  const daemon = await startDaemon({
    config,
    token,
    runner: options.runner ?? createFakeRunner(options.fake),
    catalog: options.catalog ?? testCatalog,
    tempRoot,
    ...(options.ws ? { ws: options.ws } : {}),
    ...(options.network ? { network: options.network } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    ...daemon,
    close: () => daemon.close(),
    token,
    configDir,
    tempRoot,
    hostHeader: `127.0.0.1:${daemon.port}`,
    wsUrl: `ws://127.0.0.1:${daemon.port}/v1/ws`,
    async stop() {
      await daemon.close();
      const left = await readdir(tempRoot);
      await rm(tempRoot, { recursive: true, force: true });
      await rm(configDir, { recursive: true, force: true });
      return left;
    },
  };
}

/** Lists what is inside the daemon's own temporary folder (job folders). */
export async function jobFolders(daemon: TestDaemon): Promise<string[]> {
  return readdir(daemon.tempDir);
}

/** A deterministic raw test image: every byte from a small linear congruential sequence. */
export function testImage(width: number, height: number, channels: 1 | 2 | 3 | 4, bitDepth: 8 | 16, seed = 1): Uint8Array {
  const bytes = new Uint8Array(width * height * channels * (bitDepth / 8));
  let state = seed >>> 0;
  for (let i = 0; i < bytes.length; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** CRC-32 of bytes as the protocol spells it. */
export function crcOf(bytes: Uint8Array): string {
  return crc32Hex(crc32(bytes));
}

/** A seeded random number generator (mulberry32) for fuzzing. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits until `check` returns true, polling; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "a condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

declare global {
  interface Response {
    // Tests read many small JSON bodies and assert on them field by field.
    json(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
}

/**
 * Daemon benchmarks for `npm run bench`:
 * - loopback transfer of a 24-megapixel 16-bit RGBA image (192 MB) to the daemon and back,
 *   over the WebSocket (chunks, acks, CRC) and over HTTP (raw body) — goal under 1 s each way;
 * - one real job through the daemon (HTTP: upload, events, result) against the same job
 *   through the command line's upscale service, interleaved (`--full`: three of each on the
 *   512² fixture, medians of wall and process CPU time) — goal at most 5 % slower.
 * The daemon runs in this process on an ephemeral loopback port with a throwaway config.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { repositoryRoot } from "@portrait-upscale/models";
import {
  ChunkReassembler,
  uploadSender,
  PROTOCOL_VERSION,
  decodeChunkFrame,
  parseDaemonMessage,
  type DaemonMessage,
} from "@portrait-upscale/shared";
import { DEFAULT_CONFIG, parseConfig } from "../config/config";
import { median } from "../image/statistics";
import { imageLimitsOf } from "../upscale/index";
import { createInferencePool } from "../inference/index";
import { crc32Hex } from "../jobs/engine";
import type { JobRunner } from "../jobs/types";
import { PresetStore } from "../presets/index";
import { createCatalog, modelSummaries } from "../server/catalog";
import type { DaemonCatalog } from "../server/context";
import { startDaemon, type RunningDaemon } from "../server/daemon";
import { nativeCrc32Update } from "../server/native-crc";
import { createUpscaleRunner } from "../server/upscale-runner";
import { portraitSettings, upscaleBytes } from "../upscale/index";
import type { BenchSection } from "./section";

export interface DaemonBenchOptions {
  /** A small transfer (1.5 MP) for a quick check; the goal is stated for 24 MP. */
  readonly quick?: boolean;
  /** The end-to-end job on the 512 px fixture instead of the 128 px one. */
  readonly full?: boolean;
  /** The image for the end-to-end comparison (default: test/fixtures/astronaut.png). */
  readonly image?: string;
  readonly log?: (line: string) => void;
}

export interface DaemonBenchResult {
  readonly title: string;
  /** Human-readable lines for the report. */
  readonly lines: readonly string[];
  /** Numbers for machine-readable output (milliseconds and ratios). */
  readonly metrics: Readonly<Record<string, number>>;
}

/** The `daemon` section of `npm run bench`. */
export const daemonSection: BenchSection = {
  name: "daemon",
  summary: "loopback transfer of a 24 MP 16-bit RGBA image both ways; daemon end to end vs the CLI's service",
  async run(context) {
    const result = await daemonBenchSection({ full: context.full });
    const m = result.metrics;
    const ms = (value: number): string => `${value.toFixed(0)} ms`;
    context.table(
      "Loopback transfer, 6000×4000 16-bit RGBA (192 MB), goal < 1 s each way",
      ["transport", "to the daemon", "back"],
      [
        ["WebSocket (chunks, acks, CRC-32)", ms(m.wsUploadMs), ms(m.wsDownloadMs)],
        ["WebSocket, zero mask (no masking in JavaScript)", ms(m.wsZeroMaskUploadMs), "-"],
        ["HTTP (raw body, Node fetch client)", ms(m.httpUploadMs), ms(m.httpDownloadMs)],
        ...(m.curlUploadMs !== undefined ? [["HTTP (raw body, curl client)", ms(m.curlUploadMs), ms(m.curlDownloadMs)]] : []),
      ],
    );
    context.table(
      `One job end to end (fast-preview ×2, median of ${m.runs} interleaved), goal ≤ +5 %`,
      ["path", "time", "CPU time", "vs CLI (wall)", "vs CLI (CPU)"],
      [
        ["CLI upscale service", ms(m.cliMs), ms(m.cliCpuMs), "-", "-"],
        ["daemon over HTTP (upload, events, result)", ms(m.daemonMs), ms(m.daemonCpuMs), percent(m.daemonOverCli), percent(m.daemonOverCliCpu)],
      ],
    );
  },
};

/** Hands the input back as the result: measures transport alone. */
const identityRunner: JobRunner = {
  async run(input) {
    if (input.image.kind !== "raw") throw new Error("raw input expected");
    const image = input.image;
    return {
      image,
      width: image.width,
      height: image.height,
      channels: image.channels,
      bitDepth: image.bitDepth,
      provider: "none",
      models: ["identity"],
      timings: { totalMs: 0, inferenceMs: 0 },
    };
  },
};

const identityCatalog: DaemonCatalog = {
  providers: () => ({ available: ["cpu"], active: "cpu" }),
  models: () => [],
  presets: () => [],
  defaultPreset: () => "portrait-natural",
  devices: () => [{ id: 0, provider: "cpu", name: "CPU", default: true }],
  checkOptions: () => ({ scale: 1, device: 0 }),
  estimate: () => ({ seconds: 0, provider: "cpu", device: 0, calibrated: false, models: [] }),
};

async function withDaemon<T>(runner: JobRunner, catalog: DaemonCatalog, body: (daemon: RunningDaemon, token: string) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), "pu-bench-"));
  const token = "bench-token-bench-token-bench-token-0000000";
  const daemon = await startDaemon({
    config: parseConfig({ port: 0, limits: { maxUploadBytes: 512 * 1024 * 1024 }, resultSpillBytes: 1024 * 1024 * 1024 }),
    token,
    runner,
    catalog,
    tempRoot: root,
  });
  try {
    return await body(daemon, token);
  } finally {
    await daemon.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** Runs the daemon benchmarks and returns a report section. */
export async function daemonBenchSection(options: DaemonBenchOptions = {}): Promise<DaemonBenchResult> {
  const log = options.log ?? (() => undefined);
  const [width, height] = options.quick ? [1500, 1000] : [6000, 4000];
  const pixels = new Uint8Array(width * height * 8);
  for (let i = 0; i < pixels.length; i += 4093) pixels[i] = i & 0xff;
  const megabytes = (pixels.length / 1e6).toFixed(0);
  const lines: string[] = [];
  const metrics: Record<string, number> = {};

  await withDaemon(identityRunner, identityCatalog, async (daemon, token) => {
    const ws = await wsTransfer(daemon, token, pixels, width, height);
    metrics.wsUploadMs = ws.uploadMs;
    metrics.wsDownloadMs = ws.downloadMs;
    lines.push(`WebSocket ${width}×${height} 16-bit RGBA (${megabytes} MB): up ${ms(ws.uploadMs)}, down ${ms(ws.downloadMs)} (goal < 1 s each)`);
    log(lines.at(-1)!);
    const bare = await wsTransfer(daemon, token, pixels, width, height, true);
    metrics.wsZeroMaskUploadMs = bare.uploadMs;
    lines.push(`WebSocket with a zero mask (no XOR pass): up ${ms(bare.uploadMs)}`);
    log(lines.at(-1)!);
    const http = await httpTransfer(daemon, token, pixels, width, height);
    metrics.httpUploadMs = http.uploadMs;
    metrics.httpDownloadMs = http.downloadMs;
    lines.push(`HTTP      ${width}×${height} 16-bit RGBA (${megabytes} MB): up ${ms(http.uploadMs)}, down ${ms(http.downloadMs)} (goal < 1 s each)`);
    log(lines.at(-1)!);
    // Node's fetch is slower than the daemon at this size; curl shows the daemon's own share.
    const curl = await curlTransfer(daemon, token, pixels, width, height);
    if (curl) {
      metrics.curlUploadMs = curl.uploadMs;
      metrics.curlDownloadMs = curl.downloadMs;
      lines.push(`HTTP/curl ${width}×${height} 16-bit RGBA (${megabytes} MB): up ${ms(curl.uploadMs)}, down ${ms(curl.downloadMs)} (goal < 1 s each)`);
      log(lines.at(-1)!);
    }
  });

  const fixture = options.full ? "astronaut.png" : "astronaut-face-128.png";
  const imagePath = options.image ?? join(repositoryRoot(), "test", "fixtures", fixture);
  const image = await readFile(imagePath);
  const pool = createInferencePool({ provider: "auto" });
  const presets = await PresetStore.open({ watch: "off" });
  try {
    // Both sides run the same preset: a job always runs the portrait pipeline.
    const settings = portraitSettings(presets, { preset: "fast-preview" });
    await upscaleBytes(image, pool, settings); // warm the session so neither side pays for it
    const catalog = createCatalog(pool, presets, await modelSummaries());
    const runner = createUpscaleRunner(pool, presets, imageLimitsOf(DEFAULT_CONFIG));
    const cli: Timing[] = [];
    const viaDaemon: Timing[] = [];
    await withDaemon(runner, catalog, async (daemon, token) => {
      // Interleaved, so a change of load on a shared machine falls on both sides alike.
      for (let run = 0; run < (options.full ? 3 : 1); run++) {
        cli.push(await timed(() => upscaleBytes(image, pool, settings)));
        viaDaemon.push(await timed(() => httpJob(daemon, token, image, "preset=fast-preview")));
      }
    });
    // The daemon runs in this process, so process CPU time covers its server, engine and workers.
    metrics.cliMs = median(cli.map((t) => t.ms));
    metrics.daemonMs = median(viaDaemon.map((t) => t.ms));
    metrics.cliCpuMs = median(cli.map((t) => t.cpuMs));
    metrics.daemonCpuMs = median(viaDaemon.map((t) => t.cpuMs));
    metrics.daemonOverCli = metrics.daemonMs / metrics.cliMs;
    metrics.daemonOverCliCpu = metrics.daemonCpuMs / metrics.cliCpuMs;
    metrics.runs = cli.length;
    lines.push(
      `End to end (fast-preview ×2 on ${imagePath.split(/[\\/]/).at(-1)}, median of ${cli.length}): CLI service ${ms(metrics.cliMs)} (CPU ${ms(metrics.cliCpuMs)}), ` +
        `daemon over HTTP ${ms(metrics.daemonMs)} (CPU ${ms(metrics.daemonCpuMs)}): ${percent(metrics.daemonOverCli)} wall, ${percent(metrics.daemonOverCliCpu)} CPU (goal ≤ +5 %)`,
    );
    log(lines.at(-1)!);
  } finally {
    presets.close();
    await pool.close();
  }
  return { title: "Daemon transport and overhead", lines, metrics };
}

interface Timing {
  readonly ms: number;
  /** CPU time of the whole process (worker threads included). */
  readonly cpuMs: number;
}

async function timed(work: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

function percent(ratio: number): string {
  return `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)} %`;
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

async function httpJob(daemon: RunningDaemon, token: string, body: Uint8Array, query: string, contentType = "image/png"): Promise<Uint8Array> {
  const auth = { Authorization: `Bearer ${token}` };
  const created = await fetch(`${daemon.url}/v1/jobs?${query}`, { method: "POST", headers: { ...auth, "Content-Type": contentType }, body });
  const { id } = (await created.json()) as { id: string };
  await (await fetch(`${daemon.url}/v1/jobs/${id}/events`, { headers: auth })).text();
  const result = new Uint8Array(await (await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth })).arrayBuffer());
  await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
  return result;
}

async function httpTransfer(daemon: RunningDaemon, token: string, pixels: Uint8Array, width: number, height: number): Promise<{ uploadMs: number; downloadMs: number }> {
  const auth = { Authorization: `Bearer ${token}` };
  const upStart = performance.now();
  const created = await fetch(`${daemon.url}/v1/jobs?width=${width}&height=${height}&channels=4&bitDepth=16&crc32=${crc32Hex(pixels)}`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/octet-stream" },
    body: pixels,
  });
  const { id } = (await created.json()) as { id: string };
  const uploadMs = performance.now() - upStart;
  await (await fetch(`${daemon.url}/v1/jobs/${id}/events`, { headers: auth })).text();
  const downStart = performance.now();
  const result = await fetch(`${daemon.url}/v1/jobs/${id}/result`, { headers: auth });
  const bytes = new Uint8Array(await result.arrayBuffer());
  const downloadMs = performance.now() - downStart;
  if (bytes.length !== pixels.length) throw new Error("HTTP transfer lost bytes");
  await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
  return { uploadMs, downloadMs };
}

/** The same transfer with curl as the client (undefined when curl is not installed). */
async function curlTransfer(
  daemon: RunningDaemon,
  token: string,
  pixels: Uint8Array,
  width: number,
  height: number,
): Promise<{ uploadMs: number; downloadMs: number } | undefined> {
  const { execFile } = await import("node:child_process");
  const { writeFile, mkdtemp: makeTemp } = await import("node:fs/promises");
  const run = (args: string[]): Promise<{ ms: number; stdout: string } | undefined> =>
    new Promise((resolve) => {
      const started = performance.now();
      execFile("curl", ["-s", "-H", `Authorization: Bearer ${token}`, ...args], { maxBuffer: 1 << 20 }, (error, stdout) =>
        resolve(error ? undefined : { ms: performance.now() - started, stdout }),
      );
    });
  const dir = await makeTemp(join(tmpdir(), "pu-bench-curl-"));
  try {
    const source = join(dir, "pixels.raw");
    await writeFile(source, pixels);
    const query = `width=${width}&height=${height}&channels=4&bitDepth=16&crc32=${crc32Hex(pixels)}`;
    const up = await run(["-H", "Content-Type: application/octet-stream", "--data-binary", `@${source}`, `${daemon.url}/v1/jobs?${query}`]);
    if (!up) return undefined;
    const { id } = JSON.parse(up.stdout) as { id: string };
    await run([`${daemon.url}/v1/jobs/${id}/events`]);
    const down = await run(["-o", join(dir, "result.raw"), `${daemon.url}/v1/jobs/${id}/result`]);
    await run(["-X", "DELETE", `${daemon.url}/v1/jobs/${id}`]);
    return down ? { uploadMs: up.ms, downloadMs: down.ms } : undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The panel's side of a WebSocket job, timed: upload until the last ack, download from `result` to the last chunk. */
async function wsTransfer(
  daemon: RunningDaemon,
  token: string,
  pixels: Uint8Array,
  width: number,
  height: number,
  zeroMask = false,
): Promise<{ uploadMs: number; downloadMs: number }> {
  // A zero mask lets both ends skip the XOR pass, showing what masking costs in JavaScript.
  const socket = new WebSocket(`ws://127.0.0.1:${daemon.port}/v1/ws`, {
    perMessageDeflate: false,
    ...(zeroMask ? { generateMask: (mask: Buffer) => mask.fill(0) } : {}),
  });
  socket.binaryType = "nodebuffer";
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let onText: (message: DaemonMessage) => void = () => undefined;
  let onBinary: (data: Buffer) => void = () => undefined;
  socket.on("message", (data, isBinary) => {
    if (isBinary) onBinary(data as Buffer);
    else onText(parseDaemonMessage((data as Buffer).toString("utf8")));
  });
  const next = (type: DaemonMessage["type"]): Promise<DaemonMessage> =>
    new Promise((resolve, reject) => {
      onText = (message) => {
        if (message.type === type) resolve(message);
        else if (message.type === "error") reject(new Error(`${message.code}: ${message.message}`));
      };
    });
  try {
    const welcome = next("welcome");
    socket.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, client: { name: "bench", version: "1" }, token }));
    await welcome;
    const upStart = performance.now();
    const acceptedPromise = next("accepted");
    socket.send(
      JSON.stringify({
        type: "submit",
        requestId: "bench",
        preset: "portrait-natural",
        overrides: {},
        review: false,
        image: { width, height, channels: 4, bitDepth: 16, byteLength: pixels.length, crc32: crc32Hex(pixels) },
      }),
    );
    const accepted = (await acceptedPromise) as Extract<DaemonMessage, { type: "accepted" }>;
    const sender = uploadSender(accepted, pixels, (frame) => void socket.send(frame));
    const resultPromise = new Promise<Extract<DaemonMessage, { type: "result" }>>((resolve, reject) => {
      onText = (message) => {
        if (message.type === "ack") {
          if (sender.acknowledge(message.received)) uploadMs = performance.now() - upStart;
          else void sender.pump();
        } else if (message.type === "result") resolve(message);
        else if (message.type === "error") reject(new Error(`${message.code}: ${message.message}`));
      };
    });
    let uploadMs = 0;
    void sender.pump();
    const result = await resultPromise;
    const downStart = performance.now();
    // Native CRC on the client too, so the numbers measure the transport (a UXP panel's JS CRC adds to its side).
    const reassembler = new ChunkReassembler({
      crc32Update: nativeCrc32Update,
      transferId: result.transferId,
      byteLength: result.image.byteLength,
      chunkBytes: result.chunkBytes,
      crc32: result.image.crc32,
    });
    await new Promise<void>((resolve, reject) => {
      onBinary = (data) => {
        try {
          reassembler.push(decodeChunkFrame(data));
          socket.send(JSON.stringify({ type: "ack", transferId: result.transferId, received: reassembler.received }));
          if (reassembler.complete) resolve();
        } catch (error) {
          reject(error);
        }
      };
    });
    const downloadMs = performance.now() - downStart;
    return { uploadMs, downloadMs };
  } finally {
    socket.terminate();
  }
}

/**
 * The daemon the GIMP end-to-end test talks to, listening on the host's 127.0.0.1 with a
 * temporary config folder (whose token the plug-in reads), and the reference result the
 * plug-in's output must match.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { findCommand } from "portrait-upscale/src/cli/commands/index";
import { stopChild, waitForOutput } from "../support/child-process";
import { repoPath } from "../support/paths";

/** The built command line: what `npx portrait-upscale` runs. */
const BIN = repoPath("helper-daemon", "bin", "portrait-upscale.js");
const BUNDLE = repoPath("helper-daemon", "dist", "cli.js");

export interface ReferencePixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bitDepth: 8 | 16;
  readonly data: Buffer;
}

export interface E2eDaemon {
  /** "daemon" for `portrait-upscale serve`, "stand-in" for gimp-bridge/tests/fake_daemon.py. */
  readonly kind: "daemon" | "stand-in";
  readonly url: string;
  readonly configDir: string;
  readonly defaultPreset: string;
  /** Allowed difference (16-bit levels) for an image that went through GIMP's float precision. */
  readonly floatTolerance: number;
  /** What the same input must become with `preset` (the default when undefined) at `scale`, decoded to raw pixels. */
  expected(file: string, scale: number, preset?: string): Promise<ReferencePixels>;
  stop(): Promise<void>;
}

/** Decodes a file to interleaved pixels at its own depth (16-bit samples in machine order, little-endian here). */
export async function decodePixels(file: string): Promise<ReferencePixels> {
  const metadata = await sharp(file).metadata();
  const sixteen = metadata.depth === "ushort";
  const grey = (metadata.channels ?? 3) <= 2;
  // Without an explicit 16-bit (or grey) colourspace, sharp hands out 8-bit RGB whatever the file holds.
  const space = grey ? (sixteen ? "grey16" : "b-w") : sixteen ? "rgb16" : "srgb";
  const { data, info } = await sharp(file)
    .toColourspace(space)
    .raw({ depth: sixteen ? "ushort" : "uchar" })
    .toBuffer({ resolveWithObject: true });
  const bitDepth = sixteen ? 16 : 8;
  return { width: info.width, height: info.height, channels: info.channels, bitDepth, data };
}

function nearestNeighbour(image: ReferencePixels, scale: number): ReferencePixels {
  const pixel = image.channels * (image.bitDepth / 8);
  const width = image.width * scale;
  const height = image.height * scale;
  const data = Buffer.alloc(width * height * pixel);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * pixel;
      image.data.copy(data, (y * width + x) * pixel, from, from + pixel);
    }
  }
  return { ...image, width, height, data };
}

function stopper(child: ChildProcess, configDir: string): () => Promise<void> {
  return async () => {
    await stopChild(child);
    await rm(configDir, { recursive: true, force: true });
  };
}

/** The Python stand-in that follows docs/api.md with a nearest-neighbour "model". */
export async function startStandIn(port: number, configDir: string): Promise<E2eDaemon> {
  const child = spawn("python3", [repoPath("gimp-bridge", "tests", "fake_daemon.py"), "--port", String(port), "--config-dir", configDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  await waitForOutput(child, /listening http:\/\/127\.0\.0\.1:\d+/, "The stand-in daemon");
  return {
    kind: "stand-in",
    url: `http://127.0.0.1:${port}`,
    configDir,
    defaultPreset: "portrait-natural",
    floatTolerance: 2,
    async expected(file, scale) {
      return nearestNeighbour(await decodePixels(file), scale);
    },
    stop: stopper(child, configDir),
  };
}

interface PresetInfo {
  readonly id: string;
  readonly values: { readonly model: string };
}

/**
 * The real daemon, `portrait-upscale serve`, with its config folder in `configDir`. The reference
 * pixels come from `portrait-upscale upscale` on the same file: with `--preset` once the command
 * has it, otherwise with the preset's model (which is what a preset resolves to today).
 */
export async function startRealDaemon(port: number, configDir: string): Promise<E2eDaemon> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` before the GIMP tests.`);
  const env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: configDir };
  const child = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--provider", "cpu"], { stdio: ["ignore", "pipe", "pipe"], env });
  await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+/, "portrait-upscale serve");
  const url = `http://127.0.0.1:${port}`;
  const token = (await readFile(join(configDir, "token"), "utf8")).trim();
  const info = (await (await fetch(`${url}/v1/info`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
    defaultPreset: string;
    presets: PresetInfo[];
  };
  const cliHasPreset = findCommand("upscale")?.options.preset !== undefined;
  const work = await mkdtemp(join(configDir, "reference-"));
  let counter = 0;
  return {
    kind: "daemon",
    url,
    configDir,
    defaultPreset: info.defaultPreset,
    floatTolerance: 257,
    async expected(file, scale, preset) {
      const id = preset ?? info.defaultPreset;
      const entry = info.presets.find((candidate) => candidate.id === id);
      if (!entry) throw new Error(`the daemon has no preset ${id}`);
      const out = join(work, `reference-${++counter}.png`);
      const choice = cliHasPreset ? ["--preset", id] : ["--model", entry.values.model];
      await promisify(execFile)(process.execPath, [BIN, "upscale", file, "-o", out, "--scale", String(scale), "--provider", "cpu", ...choice], {
        env,
        timeout: 300_000,
      });
      return decodePixels(out);
    },
    stop: stopper(child, configDir),
  };
}

/**
 * The daemon the test uses: the real one now that `portrait-upscale serve` exists
 * (PORTRAIT_UPSCALE_GIMP_DAEMON=stand-in picks the Python stand-in, for work on the plug-in alone).
 */
export async function startE2eDaemon(port: number, configDir: string): Promise<E2eDaemon> {
  return e2eDaemonKind() === "stand-in" ? startStandIn(port, configDir) : startRealDaemon(port, configDir);
}

/** Which daemon {@link startE2eDaemon} will start. */
export function e2eDaemonKind(): E2eDaemon["kind"] {
  return process.env.PORTRAIT_UPSCALE_GIMP_DAEMON === "stand-in" || findCommand("serve") === undefined ? "stand-in" : "daemon";
}

/**
 * The daemon the GIMP end-to-end test talks to, listening on the host's 127.0.0.1 with a
 * temporary config folder (whose token the plug-in reads), and the reference result the
 * plug-in's output must match.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import sharp from "sharp";
import { repoPath } from "../support/paths";

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
  /** What the same input must become at `scale` with the default preset, decoded to raw pixels. */
  expected(file: string, scale: number): Promise<ReferencePixels>;
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

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time:\n${seen}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${seen}`));
    });
  });
}

function stopper(child: ChildProcess, configDir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(configDir, { recursive: true, force: true });
  };
}

/** The Python stand-in that follows docs/api.md with a nearest-neighbour "model". */
export async function startStandIn(port: number, configDir: string): Promise<E2eDaemon> {
  const child = spawn("python3", [repoPath("gimp-bridge", "tests", "fake_daemon.py"), "--port", String(port), "--config-dir", configDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  await waitForLine(child, /listening http:\/\/127\.0\.0\.1:\d+/, "The stand-in daemon");
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

/** The daemon the test uses: the stand-in until `portrait-upscale serve` exists. */
export async function startE2eDaemon(port: number, configDir: string): Promise<E2eDaemon> {
  return startStandIn(port, configDir);
}

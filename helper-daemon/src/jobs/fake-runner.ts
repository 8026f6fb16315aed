/**
 * A deterministic stand-in for the upscale service: nearest-neighbour ×scale on raw pixels,
 * reported tile by tile with an optional delay. It lets the server and the queue be tested
 * quickly and exactly; the real service is wired in end-to-end tests.
 */
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import type { JobInput, JobOutput, JobRunContext, JobRunner, RawImage } from "./types";

export interface FakeRunnerOptions {
  /** Reported tiles (the work is split into this many row bands). */
  readonly tiles?: number;
  /** Milliseconds to wait per tile, so tests can catch a job while it runs. */
  readonly tileDelayMs?: number;
}

/** Nearest-neighbour upscaling of raw input; encoded input is refused with INPUT_NOT_IMAGE. */
export function createFakeRunner(options: FakeRunnerOptions = {}): JobRunner {
  const tiles = options.tiles ?? 4;
  const delay = options.tileDelayMs ?? 0;
  return {
    async run(input: JobInput, context: JobRunContext): Promise<JobOutput> {
      if (input.image.kind !== "raw") throw new PortraitError("INPUT_NOT_IMAGE", "The test runner only takes raw pixels.");
      const scale = input.options.scale ?? 4;
      if (!Number.isInteger(scale) || scale < 1) throw invalidParameter("a positive integer", "scale", scale);
      const source = input.image;
      const started = Date.now();
      context.onProgress({ stage: "decode", progress: 0 });
      const out = upscaleNearest(source, scale);
      for (let tile = 1; tile <= tiles; tile += 1) {
        await sleep(delay, context.signal);
        context.onProgress({ stage: "upscale", progress: tile / (tiles + 1), tile, tiles });
      }
      if (context.signal.aborted) throw new PortraitError("CANCELLED");
      context.onProgress({ stage: "encode", progress: 1 });
      const totalMs = Date.now() - started;
      return {
        image: out,
        width: out.width,
        height: out.height,
        channels: out.channels,
        bitDepth: out.bitDepth,
        provider: "fake",
        models: ["nearest"],
        timings: { totalMs, inferenceMs: totalMs },
        // Like the real pipeline on an image without a face: a note, and a review of the whole image.
        notes: [{ code: "NO_FACE", message: "No face was found; the whole image was treated as background." }],
        ...(input.options.review
          ? {
              review: { verdict: "pass", faces: 0, checks: [] },
              reviewCrops: [{ region: "image", width: 2, height: 1, png: fakeCropBytes(out) }],
            }
          : {}),
      };
    },
  };
}

/** Stand-in crop bytes (not a real PNG; the daemon never decodes them): the result's first bytes. */
function fakeCropBytes(image: RawImage): Uint8Array {
  return image.bytes.slice(0, Math.max(1, Math.min(64, image.bytes.byteLength)));
}

/** Each source pixel becomes a scale×scale block; samples are copied byte for byte. */
export function upscaleNearest(source: RawImage, scale: number): RawImage {
  const pixelBytes = source.channels * (source.bitDepth / 8);
  const width = source.width * scale;
  const height = source.height * scale;
  const bytes = new Uint8Array(width * height * pixelBytes);
  const rowBytes = width * pixelBytes;
  for (let y = 0; y < source.height; y += 1) {
    const outRow = y * scale * rowBytes;
    for (let x = 0; x < source.width; x += 1) {
      const from = (y * source.width + x) * pixelBytes;
      const pixel = source.bytes.subarray(from, from + pixelBytes);
      for (let dx = 0; dx < scale; dx += 1) bytes.set(pixel, outRow + (x * scale + dx) * pixelBytes);
    }
    for (let dy = 1; dy < scale; dy += 1) bytes.copyWithin(outRow + dy * rowBytes, outRow, outRow + rowBytes);
  }
  return { ...source, width, height, bytes };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new PortraitError("CANCELLED"));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(new PortraitError("CANCELLED"));
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

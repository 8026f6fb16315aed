/**
 * Peak memory of the portrait presets at 2×, each run in a fresh process (the high-water mark
 * covers the worker threads, which share the process) through the service's own path: PNG
 * in, pipeline, PNG out. The default preset at 1 MP gives the fixed part (process, sessions,
 * the model's largest tile under the budget, one pass window); Fast Preview at 1 and 4 MP
 * gives what grows per megapixel (the same image-sized buffers, at a fraction of the model
 * time), so 24 MP is projected from the real slope; `--full` measures Fast Preview at 24 MP.
 * Goal (issue 11): the default preset at 24 MP within 4 GB on CPU. Measured on a shared 2-core
 * machine: the default preset at 512² peaks at 2.79 GiB, most of it the CPU sessions' arenas
 * (thick, x4plus's trunk and tail each keep their largest tile's buffers); 1.16 GiB with the
 * arenas off, at +56 % CPU time, so they stay on (docs/architecture.md, "Memory arenas").
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { fileURLToPath } from "node:url";
import { encodeImage } from "../image/codec";
import { cropPlanes } from "../image/crop";
import { createInferencePool } from "../inference/index";
import { PresetStore } from "../presets/index";
import { portraitSettings, upscaleBytes } from "../upscale/index";
import type { BenchSection } from "./section";
import { installed, portrait } from "./fixtures";
import { imageSizedBuffers, projectPeak, type PeakSample } from "./memory-model";

/** The argument that makes bench.js run one measured upscale and print JSON. */
export const MEMORY_CHILD_FLAG = "--memory-child";

/** The model budget the goal is measured under: what a 8 GB machine's default (a quarter) would be. */
export const GOAL_BUDGET = "2G";
const GOAL_BYTES = 4 * 1024 ** 3;
const GIB = 1024 ** 3;

interface ChildResult extends PeakSample {
  readonly preset: string;
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  readonly tile: number;
  /** The stage running when the sampled resident memory peaked, and the JS buffers then. */
  readonly peakStage: string;
  readonly arrayBuffersAtPeak: number;
}

/** The child's work: one service run of `preset` on a `width`×`height` portrait, then its peak RSS. */
export async function runMemoryChild(args: readonly string[]): Promise<void> {
  const [preset, pngPath, budget] = args;
  const png = await readFile(pngPath);
  const { width = 0, height = 0 } = await sharp(png).metadata();
  const pool = createInferencePool({ provider: "cpu" });
  const presets = await PresetStore.open({ watch: "off" });
  let stage = "decode";
  let peak = { rss: 0, stage, arrayBuffers: 0 };
  const sample = (): void => {
    const usage = process.memoryUsage();
    if (usage.rss > peak.rss) peak = { rss: usage.rss, stage, arrayBuffers: usage.arrayBuffers };
  };
  const timer = setInterval(sample, 50);
  try {
    const started = performance.now();
    const result = await upscaleBytes(png, pool, portraitSettings(presets, { preset, memoryBudget: budget }), {
      onProgress: (progress) => {
        sample();
        stage = progress.stage;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const out: ChildResult = {
      preset,
      width,
      height,
      megapixels: (width * height) / 1e6,
      seconds,
      tile: result.summary.tile,
      peakBytes: process.resourceUsage().maxRSS * 1024,
      peakStage: peak.stage,
      arrayBuffersAtPeak: peak.arrayBuffers,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    clearInterval(timer);
    presets.close();
    await pool.close();
  }
}

/** The bench portrait at `width`×`height` (a centred crop of the square one) as an 8-bit PNG, like a file a user brings. */
async function portraitPng(width: number, height: number): Promise<Uint8Array> {
  const square = await portrait(Math.max(width, height));
  const rect = { x: (square.width - width) >> 1, y: (square.height - height) >> 1, width, height };
  const rgb = width === height ? square.rgb : cropPlanes(square.rgb, square.width, square.height, 3, rect);
  return encodeImage({ width, height, rgb }, { format: "png" });
}

/** Runs one case in a fresh process; the input is written here first so making it does not count in the child's peak. */
async function measure(script: string, preset: string, width: number, height: number): Promise<ChildResult | string> {
  const dir = await mkdtemp(join(tmpdir(), "pu-bench-memory-"));
  try {
    const input = join(dir, "input.png");
    await writeFile(input, await portraitPng(width, height));
    const child = spawnSync(process.execPath, [script, MEMORY_CHILD_FLAG, preset, input, GOAL_BUDGET], { encoding: "utf8" });
    if (child.status !== 0) return `failed: ${child.stderr.trim().split("\n").pop() ?? ""}`;
    return JSON.parse(child.stdout.trim().split("\n").pop()!) as ChildResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const gib = (bytes: number): string => (bytes / GIB).toFixed(2);

export const memorySection: BenchSection = {
  name: "memory",
  summary: `Peak RSS (process with its workers) of the portrait presets at 2× under a ${GOAL_BUDGET} model budget: 1 and 4 MP measured, 24 MP projected (--full: measured for Fast Preview).`,
  async run(context) {
    const missing = ["esrgan-thick-x2", "realesrgan-x4plus", "realesrgan-x4fast"].filter((id) => !installed(id));
    if (missing.length > 0) {
      context.note(`${missing.join(", ")} not installed; skipped.`);
      return;
    }
    const script = fileURLToPath(import.meta.url);
    const cases: [string, number, number][] = [
      ["portrait-natural", 1024, 1024],
      ["fast-preview", 1024, 1024],
      ["fast-preview", 2048, 2048],
      ...(context.full ? ([["fast-preview", 6000, 4000]] as [string, number, number][]) : []),
    ];
    const rows: string[][] = [];
    const measured = new Map<string, ChildResult>();
    for (const [preset, width, height] of cases) {
      const result = await measure(script, preset, width, height);
      if (typeof result === "string") {
        rows.push([preset, `${width}×${height}`, "-", "-", "-", "-", result]);
        continue;
      }
      measured.set(`${preset} ${width}`, result);
      const row = [preset, `${width}×${height}`, String(result.tile), result.seconds.toFixed(0), gib(result.peakBytes), `${result.peakStage} (JS buffers ${gib(result.arrayBuffersAtPeak)})`, "measured"];
      rows.push(row);
      context.note(`  ${row.join(" | ")}`);
    }
    const anchor = measured.get("portrait-natural 1024");
    const small = measured.get("fast-preview 1024");
    const large = measured.get("fast-preview 2048");
    if (anchor && small && large) {
      const projected = projectPeak(anchor, [small, large], 24);
      rows.push([
        "portrait-natural",
        "6000×4000",
        "",
        "",
        gib(projected.bytes),
        `+${(projected.bytesPerMegapixel / 1024 ** 2).toFixed(0)} MiB per input MP (Fast Preview 1→4 MP)`,
        projected.bytes <= GOAL_BYTES ? "projected: ok (≤ 4 GiB)" : "projected: over 4 GiB",
      ]);
    }
    context.table(`Peak memory at 2× (CPU, model budget ${GOAL_BUDGET}; goal: default preset at 24 MP ≤ 4 GiB)`, ["preset", "input", "tile", "seconds", "peak RSS GiB", "peak during (sampled)", "how"], rows);
    const layout = { channels: 3, bitDepth: 8 } as const;
    const mib = (perPixel: number): string => ((perPixel * 24e6) / 1024 ** 2).toFixed(0);
    context.table(
      "Buffers that grow with the image, 2× to 8-bit RGB (bytes per input pixel; MiB at 24 MP)",
      ["buffer", "B / input px", "MiB at 24 MP"],
      [
        ...imageSizedBuffers(layout, 2, true).map((buffer) => [buffer.name, String(buffer.bytesPerInputPixel), mib(buffer.bytesPerInputPixel)]),
        ...imageSizedBuffers(layout, 2, false)
          .slice(3)
          .map((buffer) => [`(before) ${buffer.name}`, String(buffer.bytesPerInputPixel), mib(buffer.bytesPerInputPixel)]),
      ],
    );
  },
};

/**
 * Peak memory of the default preset at 2× under a job memory budget, each run in a fresh
 * process (the high-water mark covers the worker threads, which share the process) through the
 * service's own path: PNG in, pipeline, PNG out. The job's tiles come from tiling/job-tiles.ts.
 * 24 MP is projected: a 1 MP run on the tiles a 24 MP job gets has the 24 MP sessions' arenas
 * and pass window, so only the image-sized buffers are missing, added from the planner's own
 * facts (tiling/image-memory.ts); `--full` also measures their slope with Fast Preview at 1 and
 * 4 MP and runs the machine's default budget. CPU time (user + system of the child) against
 * the old tiles (each model run sized alone, 2 GiB per run) says what smaller tiles cost.
 * Goal (issue 11): the default preset at 24 MP within 4 GB on CPU.
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
import { portraitModelIds, portraitSettings, portraitTiles, upscaleBytes, type UpscaleSettings } from "../upscale/index";
import { modelFacts } from "@portrait-upscale/models";
import { chooseTile, parseMemoryBudget } from "../tiling/tile-size";
import { workRatio } from "../tiling/job-tiles";
import { planStageTiles, runsSplit } from "../tiling/stage-plan";
import { largestRun } from "../upscale/memory-plan";
import type { BenchSection } from "./section";
import { installed, portrait } from "./fixtures";
import { imageSizedBuffers } from "../tiling/image-memory";
import { projectPeak, type PeakSample } from "./memory-model";

/** The argument that makes bench.js run one measured upscale and print JSON. */
export const MEMORY_CHILD_FLAG = "--memory-child";

/** The job budget of the goal. */
export const GOAL_BUDGET = "4G";
/** What an 8 GB machine's default (a quarter) is; the old tiles are sized by it per model run. */
const SMALL_BUDGET = "2G";
/** The camera-sized image the goal is about. */
const TARGET = { width: 6000, height: 4000 } as const;
const GOAL_BYTES = 4 * 1024 ** 3;
const GIB = 1024 ** 3;

/**
 * How a child's tiles are chosen: planned for its own image (`job`), planned for the 24 MP
 * target (`target`), or the old rule (`old`: each model run sized alone within the budget).
 */
type TileMode = "job" | "target" | "old";

interface ChildResult extends PeakSample {
  readonly preset: string;
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  /** User + system CPU time of the whole process (its workers included). */
  readonly cpuSeconds: number;
  readonly tiles: string;
  /** The planner's peak for the tiles (bytes), when planned. */
  readonly plannedBytes?: number;
  /** The stage running when the sampled resident memory peaked. */
  readonly peakStage: string;
}

/** The settings of a child's run: `budget` undefined is the machine's default. */
function childSettings(settings: UpscaleSettings, mode: TileMode, image: { readonly width: number; readonly height: number }): UpscaleSettings {
  const job = settings.portrait!;
  if (mode === "target") return { ...settings, plannedTiles: portraitTiles({ ...settings, portrait: job }, TARGET, "cpu") };
  if (mode === "job") return settings;
  const facts = modelFacts();
  const models = portraitModelIds(job).map((id) => ({ ...facts.byId(id).memory("cpu"), context: facts.byId(id).context }));
  return { ...settings, tile: chooseTile({ ...image, budget: settings.memoryBudget ?? parseMemoryBudget(SMALL_BUDGET), models }) };
}

/** The child's work: one service run of `preset` on a PNG, then its peak RSS and CPU time. */
export async function runMemoryChild(args: readonly string[]): Promise<void> {
  const [preset, pngPath, budget, mode] = args;
  const png = await readFile(pngPath);
  const { width = 0, height = 0 } = await sharp(png).metadata();
  const pool = createInferencePool({ provider: "cpu" });
  const presets = await PresetStore.open({ watch: "off" });
  let stage = "decode";
  let peak = { rss: 0, stage };
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > peak.rss) peak = { rss, stage };
  };
  const timer = setInterval(sample, 50);
  try {
    const base = portraitSettings(presets, { preset, ...(budget !== "default" ? { memoryBudget: budget } : {}) });
    const settings = childSettings(base, mode as TileMode, { width, height });
    const plan = mode === "old" ? undefined : portraitTiles({ ...settings, portrait: settings.portrait! }, { width, height }, "cpu");
    const started = performance.now();
    await upscaleBytes(png, pool, settings, {
      onProgress: (progress) => {
        sample();
        stage = progress.stage;
      },
    });
    const usage = process.resourceUsage();
    const stages = plan ? Object.values(plan.stageTiles).flat() : [];
    const out: ChildResult = {
      preset,
      width,
      height,
      megapixels: (width * height) / 1e6,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      tiles: `${settings.tile ?? plan?.tile}${stages.length > 0 ? ` / ${stages.join(", ")}` : " / auto"}`,
      ...(plan?.plannedBytes !== undefined ? { plannedBytes: plan.plannedBytes } : {}),
      peakBytes: usage.maxRSS * 1024,
      peakStage: peak.stage,
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

interface MemoryCase {
  readonly name: string;
  readonly preset: string;
  readonly size: number;
  readonly budget: string;
  readonly mode: TileMode;
}

/** Runs one case in a fresh process; the input is written here first so making it does not count in the child's peak. */
async function measure(script: string, run: MemoryCase): Promise<ChildResult | string> {
  const dir = await mkdtemp(join(tmpdir(), "pu-bench-memory-"));
  try {
    const input = join(dir, "input.png");
    await writeFile(input, await portraitPng(run.size, run.size));
    const child = spawnSync(process.execPath, [script, MEMORY_CHILD_FLAG, run.preset, input, run.budget, run.mode], { encoding: "utf8" });
    if (child.status !== 0) return `failed: ${child.stderr.trim().split("\n").pop() ?? ""}`;
    return JSON.parse(child.stdout.trim().split("\n").pop()!) as ChildResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const gib = (bytes: number): string => (bytes / GIB).toFixed(2);
const DEFAULT = "portrait-natural";

/**
 * The cases in the order they run, the goal's first (a shared machine may not finish them all):
 * the 24 MP tiles, then the old tiles before the runs whose CPU time is compared with them.
 * The old tiles at 1 MP are not run: they peak above 5 GB.
 */
function memoryCases(full: boolean): MemoryCase[] {
  return [
    { name: `24 MP tiles under ${GOAL_BUDGET}`, preset: DEFAULT, size: 1024, budget: GOAL_BUDGET, mode: "target" },
    { name: `old tiles (each run sized alone, ${SMALL_BUDGET} per run)`, preset: DEFAULT, size: 512, budget: SMALL_BUDGET, mode: "old" },
    { name: `job budget ${GOAL_BUDGET}`, preset: DEFAULT, size: 512, budget: GOAL_BUDGET, mode: "job" },
    { name: `job budget ${GOAL_BUDGET}`, preset: DEFAULT, size: 1024, budget: GOAL_BUDGET, mode: "job" },
    { name: `job budget ${SMALL_BUDGET}`, preset: DEFAULT, size: 512, budget: SMALL_BUDGET, mode: "job" },
    ...(full
      ? ([
          { name: "machine's default budget", preset: DEFAULT, size: 512, budget: "default", mode: "job" },
          { name: "machine's default budget", preset: DEFAULT, size: 1024, budget: "default", mode: "job" },
          { name: "slope", preset: "fast-preview", size: 1024, budget: GOAL_BUDGET, mode: "job" },
          { name: "slope", preset: "fast-preview", size: 2048, budget: GOAL_BUDGET, mode: "job" },
        ] satisfies MemoryCase[])
      : []),
  ];
}

/**
 * The model work of the old tiles (each model run sized alone within `budget`, x4plus split as
 * the driver split it) over one run of the default preset, relative to untiled runs.
 */
function oldTilesWork(ids: readonly string[], image: { readonly width: number; readonly height: number }, budget: number): { readonly tiles: string; readonly work: number } {
  const facts = modelFacts();
  const run = largestRun(ids, image, { scale: 2, portrait: true });
  const models = ids.map((id) => facts.byId(id));
  const tile = chooseTile({ ...image, budget, models: models.map((model) => ({ ...model.memory("cpu"), context: model.context })) });
  let work = 0;
  let stageTiles = "";
  for (const model of models) {
    const whole = { ...model.memory("cpu"), context: model.context };
    const stages = model.stages?.map((stage) => ({ ...stage.memory("cpu"), context: stage.context, scale: stage.scale, outputChannels: stage.outputChannels, cost: stage.cost("cpu").secondsPerInputMegapixel }));
    if (stages && runsSplit(run.width, run.height, tile, whole, stages)) {
      const tiles = planStageTiles({ ...run, wholeTile: tile, whole, stages });
      stageTiles = ` / ${tiles.join(", ")}`;
      work += stages.reduce((sum, stage, k) => sum + stage.cost * workRatio(tiles[k], stage.context, run), 0);
    } else work += model.cost("cpu").secondsPerInputMegapixel * workRatio(tile, model.context, run);
  }
  const untiled = models.reduce((sum, model) => sum + model.cost("cpu").secondsPerInputMegapixel, 0);
  return { tiles: `${tile}${stageTiles}`, work: work / untiled };
}

/** Old and new tiles of the default preset and the model work each costs (manifest costs; no runs). */
export async function predictedWorkRows(): Promise<string[][]> {
  const presets = await PresetStore.open({ watch: "off" });
  try {
    const rows: string[][] = [];
    for (const [width, height] of [[512, 512], [1024, 1024], [TARGET.width, TARGET.height]]) {
      const image = { width, height };
      const cells = [`${width}×${height}`];
      for (const budget of [SMALL_BUDGET, "6G"]) {
        const old = oldTilesWork(portraitModelIds(portraitSettings(presets, {}).portrait!), image, parseMemoryBudget(budget));
        cells.push(old.tiles, old.work.toFixed(2));
      }
      for (const budget of [GOAL_BUDGET, "6G"]) {
        const settings = portraitSettings(presets, { memoryBudget: budget });
        try {
          const plan = portraitTiles({ ...settings, portrait: settings.portrait! }, image, "cpu");
          cells.push(`${plan.tile} / ${Object.values(plan.stageTiles).flat().join(", ")}`, (plan.relativeWork ?? 1).toFixed(2));
        } catch (error) {
          cells.push((error as Error).message.slice(0, 40), "-");
        }
      }
      rows.push(cells);
    }
    return rows;
  } finally {
    presets.close();
  }
}

export const memorySection: BenchSection = {
  name: "memory",
  summary: `Peak RSS (process with its workers) of the default preset at 2× under a ${GOAL_BUDGET} job budget at 512² and 1 MP, 24 MP projected from a 1 MP run on the 24 MP tiles; CPU time against the old tiles.`,
  async run(context) {
    const missing = ["esrgan-thick-x2", "realesrgan-x4plus", "realesrgan-x4fast"].filter((id) => !installed(id));
    if (missing.length > 0) {
      context.note(`${missing.join(", ")} not installed; skipped.`);
      return;
    }
    context.table(
      "Model work of the default preset's tiles over one pass window's runs (predicted from the manifest's costs; 1 = untiled)",
      ["input", `old tiles, ${SMALL_BUDGET} per run`, "work", "old tiles, 6G per run", "work", `job tiles, ${GOAL_BUDGET}`, "work", "job tiles, 6G", "work"],
      await predictedWorkRows(),
    );
    const script = fileURLToPath(import.meta.url);
    const rows: string[][] = [];
    const measured = new Map<string, ChildResult>();
    let reference: ChildResult | undefined;
    for (const run of memoryCases(context.full)) {
      const result = await measure(script, run);
      const label = `${run.preset} ${run.size}² ${run.name}`;
      if (typeof result === "string") {
        rows.push([run.preset, `${run.size}²`, run.name, "-", "-", "-", "-", "-", result]);
        continue;
      }
      measured.set(`${run.preset} ${run.size} ${run.mode} ${run.budget}`, result);
      if (run.mode === "old") reference = result;
      const ratio = reference && run.size === reference.width ? (result.cpuSeconds / reference.cpuSeconds).toFixed(2) : "";
      const row = [
        run.preset,
        `${run.size}²`,
        run.name,
        result.tiles,
        result.plannedBytes !== undefined ? gib(result.plannedBytes) : "",
        gib(result.peakBytes),
        result.cpuSeconds.toFixed(0),
        ratio,
        `${result.seconds.toFixed(0)} s wall, peak during ${result.peakStage}`,
      ];
      rows.push(row);
      context.note(`  ${label}: ${row.slice(3).join(" | ")}`);
    }
    const layout = { channels: 3, bitDepth: 8 } as const;
    const perPixel = imageSizedBuffers(layout, 2, true).reduce((sum, buffer) => sum + buffer.bytesPerInputPixel, 0);
    const anchor = measured.get(`${DEFAULT} 1024 target ${GOAL_BUDGET}`);
    const targetMegapixels = (TARGET.width * TARGET.height) / 1e6;
    if (anchor) {
      const bytes = anchor.peakBytes + perPixel * 1e6 * (targetMegapixels - anchor.megapixels);
      const plan = anchor.plannedBytes;
      rows.push([DEFAULT, "6000×4000", `projected: 1 MP on the 24 MP tiles + ${perPixel} B per input pixel`, anchor.tiles, plan ? gib(plan) : "", gib(bytes), "", "", bytes <= GOAL_BYTES ? "ok (≤ 4 GiB)" : "over 4 GiB"]);
      const small = measured.get(`fast-preview 1024 job ${GOAL_BUDGET}`);
      const large = measured.get(`fast-preview 2048 job ${GOAL_BUDGET}`);
      if (small && large) {
        const projected = projectPeak(anchor, [small, large], targetMegapixels);
        const slope = (projected.bytesPerMegapixel / 1024 ** 2).toFixed(0);
        rows.push([DEFAULT, "6000×4000", `projected: measured slope ${slope} MiB per MP (Fast Preview 1→4 MP)`, anchor.tiles, "", gib(projected.bytes), "", "", projected.bytes <= GOAL_BYTES ? "ok (≤ 4 GiB)" : "over 4 GiB"]);
      }
    }
    context.table(
      `Peak memory at 2× (CPU, fresh process; goal: default preset at 24 MP ≤ 4 GiB under --memory-budget ${GOAL_BUDGET})`,
      ["preset", "input", "tiles from", "tile / stage tiles", "planned GiB", "peak RSS GiB", "CPU s", "CPU vs old tiles", "notes"],
      rows,
    );
    context.table(
      "Buffers that grow with the image, 2× to 8-bit RGB (bytes per input pixel; MiB at 24 MP)",
      ["buffer", "B / input px", "MiB at 24 MP"],
      imageSizedBuffers(layout, 2, true).map((buffer) => [buffer.name, String(buffer.bytesPerInputPixel), ((buffer.bytesPerInputPixel * targetMegapixels * 1e6) / 1024 ** 2).toFixed(0)]),
    );
  },
};

/**
 * The portrait pipeline against one bare model pass on the same pixels: the default preset
 * (Portrait — Natural, 2×) against x4plus, Fast Preview against x4fast (`--full`: every
 * built-in preset), with the time each stage took and the process's resident memory. A preset
 * with a light detail model off faces (`LIGHT_DETAIL`) runs twice, with its detail model on
 * every detail cell (before) and with the light model off faces (as shipped); with `--full`,
 * one whose detail model can run on the source reduced (`REDUCED_DETAIL`) also runs that way.
 * Bare runs and pipeline runs alternate in one process, so a loaded machine slows them alike. Goals (issue 11): default
 * ≤ 1.0× (aim 0.5×), Fast Preview ≤ 1.5×.
 *
 * The bare yardstick runs `session.run` over the image in non-overlapping 256² pieces (a
 * whole 1 MP x4plus run needs ~13 GB): per pixel the same work as one whole-image run. The
 * pipeline gets the tile the CLI would choose on this machine. Besides wall time, the
 * process's CPU time (all threads) is compared: load from other processes disturbs it less.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { modelPath } from "@portrait-upscale/models";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { cropPlanes } from "../image/crop";
import { openBareSession } from "../inference/baseline";
import { createInferencePool, tileRunner, type InferencePool } from "../inference/index";
import { poolDetector } from "../portrait/detector";
import { LIGHT_DETAIL, REDUCED_DETAIL, detailModel, fidelityModel, lightDetailModel } from "../portrait/branch-models";
import { runPortraitPipeline, type PortraitSettings, type PortraitStage } from "../portrait/pipeline";
import type { BenchContext, BenchSection } from "./section";
import { installed, portrait } from "./fixtures";
import { jobTiles, portraitModelIds } from "../upscale/memory-plan";
import type { TileRunner } from "../tiling/tiled-upscale";

/** The argument that makes bench.js run one portrait upscale in a fresh process and print JSON. */
export const PORTRAIT_MEMORY_CHILD_FLAG = "--portrait-memory-child";

const BARE_PIECE = 256;

export interface Case {
  readonly preset: string;
  /** The model the preset is compared with. */
  readonly yardstick: string;
}

/** The goals' presets (issue 11); `--full` measures every built-in preset. */
const CASES: readonly Case[] = [
  { preset: "portrait-natural", yardstick: "realesrgan-x4plus" },
  { preset: "fast-preview", yardstick: "realesrgan-x4fast" },
];

function allCases(): Case[] {
  return BUILT_IN_PRESETS.map((p) => ({ preset: p.id, yardstick: p.models.detail === "x4fast" ? "realesrgan-x4fast" : "realesrgan-x4plus" }));
}

/** How a preset's detail branch is routed: the rules the bench switches, the first as shipped. */
interface DetailRouting {
  readonly label: string;
  readonly light: boolean;
  readonly reduced: boolean;
}

const SHIPPED: DetailRouting = { label: "as shipped", light: LIGHT_DETAIL.enabled, reduced: REDUCED_DETAIL.enabled };

/**
 * The detail routings worth measuring for a preset: where it can have a light detail model, its
 * detail model on every detail cell, then the light model off faces (one of them as shipped);
 * else as shipped; with `full`, also on the reduced source where its detail model can run that way.
 */
function detailRoutingsOf(settings: PortraitSettings, full: boolean): DetailRouting[] {
  const out: DetailRouting[] = [];
  if (withRouting({ ...SHIPPED, light: true }, () => lightDetailModel(settings)) !== null) {
    for (const light of [false, true]) out.push(light === SHIPPED.light ? SHIPPED : { label: light ? "x4fast off faces" : "detail model everywhere", light, reduced: SHIPPED.reduced });
  } else out.push(SHIPPED);
  if (full && withRouting({ ...SHIPPED, reduced: true }, () => (detailModel(settings, settings.scale)?.reduction ?? 1) > 1))
    out.push({ label: "detail model on the source reduced", light: SHIPPED.light, reduced: true });
  return out;
}

/** Sets the routing's switches; returns what puts them back. */
function applyRouting(routing: DetailRouting): () => void {
  const saved = { light: LIGHT_DETAIL.enabled, reduced: REDUCED_DETAIL.enabled };
  LIGHT_DETAIL.enabled = routing.light;
  REDUCED_DETAIL.enabled = routing.reduced;
  return () => {
    LIGHT_DETAIL.enabled = saved.light;
    REDUCED_DETAIL.enabled = saved.reduced;
  };
}

function withRouting<T>(routing: DetailRouting, work: () => T): T {
  const restore = applyRouting(routing);
  try {
    return work();
  } finally {
    restore();
  }
}

function settingsOf(presetId: string): PortraitSettings {
  const preset = BUILT_IN_PRESETS.find((p) => p.id === presetId);
  if (!preset) throw new Error(`No built-in preset "${presetId}"`);
  return resolvePreset(preset);
}

/** CPU milliseconds of this process (every thread) since `from`. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

/** Milliseconds (wall and CPU) of bare `session.run` over the whole image, in 256² pieces. */
async function bareMs(model: string, image: RgbImage): Promise<{ ms: number; cpuMs: number }> {
  const session = await openBareSession(modelPath(model));
  try {
    const first = Math.min(BARE_PIECE, image.width);
    await session.time(cropPlanes(image.rgb, image.width, image.height, 3, { x: 0, y: 0, width: first, height: Math.min(BARE_PIECE, image.height) }), [1, 3, Math.min(BARE_PIECE, image.height), first]);
    let total = 0;
    const cpu = process.cpuUsage();
    for (let y = 0; y < image.height; y += BARE_PIECE)
      for (let x = 0; x < image.width; x += BARE_PIECE) {
        const w = Math.min(BARE_PIECE, image.width - x);
        const h = Math.min(BARE_PIECE, image.height - y);
        total += await session.time(cropPlanes(image.rgb, image.width, image.height, 3, { x: x, y: y, width: w, height: h }), [1, 3, h, w]);
      }
    return { ms: total, cpuMs: cpuMsSince(cpu) };
  } finally {
    await session.release();
  }
}

/** One pipeline run: total and per-stage milliseconds, and the highest RSS seen at a stage change. */
interface PipelineRun {
  readonly ms: number;
  readonly cpuMs: number;
  readonly stages: Partial<Record<PortraitStage, number>>;
  /** Per model: milliseconds waiting for its runs, and the input pixels (context included) it ran on. */
  readonly modelRuns: ReadonlyMap<string, { ms: number; pixels: number }>;
  readonly models: readonly string[];
  readonly rssBytes: number;
}

/** Runs the pipeline once, timing its stages from the progress events. */
export async function timedPipeline(pool: InferencePool, image: RgbImage, settings: PortraitSettings, maxTile?: number): Promise<PipelineRun> {
  const stages: Partial<Record<PortraitStage, number>> = {};
  let current: PortraitStage | undefined;
  let since = performance.now();
  let rss = process.memoryUsage().rss;
  const started = since;
  const cpu = process.cpuUsage();
  const modelRuns = new Map<string, { ms: number; pixels: number }>();
  // Tiles of one model may be in flight together in the pool's workers: count the wall time
  // while at least one is running, not the sum of their times, so the stages add up to the run.
  const inFlight = new Map<string, { count: number; since: number }>();
  const measured = (id: string): TileRunner => {
    const run = tileRunner(pool, id);
    const timed = async (tile: Parameters<TileRunner>[0], signal?: AbortSignal) => {
      const flight = inFlight.get(id) ?? { count: 0, since: 0 };
      if (flight.count === 0) flight.since = performance.now();
      flight.count += 1;
      inFlight.set(id, flight);
      try {
        return await run(tile, signal);
      } finally {
        flight.count -= 1;
        const entry = modelRuns.get(id) ?? { ms: 0, pixels: 0 };
        const ms = flight.count === 0 ? performance.now() - flight.since : 0;
        modelRuns.set(id, { ms: entry.ms + ms, pixels: entry.pixels + tile.width * tile.height });
      }
    };
    return Object.assign(timed, { context: run.context });
  };
  const result = await runPortraitPipeline(image, settings, {
    tileRunner: measured,
    runDetector: poolDetector(pool),
    ...(maxTile !== undefined ? { maxTile } : {}),
    onProgress: (stage) => {
      if (stage === current) return;
      const now = performance.now();
      if (current) stages[current] = (stages[current] ?? 0) + now - since;
      rss = Math.max(rss, process.memoryUsage().rss);
      current = stage;
      since = now;
    },
  });
  const ended = performance.now();
  if (current) stages[current] = (stages[current] ?? 0) + ended - since;
  return { ms: ended - started, cpuMs: cpuMsSince(cpu), stages, modelRuns, models: result.models, rssBytes: Math.max(rss, process.memoryUsage().rss) };
}

/** The child's work: one default-preset run at `size`², then the process's peak RSS. */
export async function runPortraitMemoryChild(width: number, height: number, maxTile: number): Promise<void> {
  const image = await portrait(Math.max(width, height));
  const input: RgbImage =
    width === height ? image : { width, height, rgb: cropPlanes(image.rgb, image.width, image.height, 3, { x: 0, y: (image.height - height) >> 1, width: width, height: height }) };
  const pool = createInferencePool({ provider: "cpu" });
  try {
    const run = await timedPipeline(pool, input, settingsOf("portrait-natural"), maxTile);
    const peakBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(`${JSON.stringify({ width, height, seconds: run.ms / 1000, peakBytes, stages: run.stages })}\n`);
  } finally {
    await pool.close();
  }
}

/**
 * Bytes that grow with the image in a 2× default-preset run: the source (RGB float), its
 * luma (routing) and the result (RGB float, 4 output pixels per source pixel).
 */
function imageSizedBytes(sourcePixels: number): number {
  return sourcePixels * (12 + 4 + 4 * 12);
}

/** The model ids a preset's 2× pass runs. */
const fidelityOf = (settings: PortraitSettings): string => fidelityModel(settings.scale).id;
const detailOf = (settings: PortraitSettings): string | undefined => detailModel(settings, settings.scale)?.id;
const lightOf = (settings: PortraitSettings): string | undefined => lightDetailModel(settings)?.id;

const seconds = (ms: number | undefined): string => (ms === undefined ? "—" : (ms / 1000).toFixed(1));

/**
 * Measures `cases` at each of `sizes` (edge of a square portrait): per case the bare yardstick,
 * then the pipeline with each detail input, one after the other in this process, and prints
 * the tables; returns per preset the shipped input's and the bare run's milliseconds per megapixel.
 */
export async function measurePortraitSpeed(context: BenchContext, sizes: readonly number[], cases: readonly Case[], full = false): Promise<Map<string, { pipeline: number; bare: number }>> {
  const rows: string[][] = [];
  const stageRows: string[][] = [];
  const perPixel = new Map<string, { pipeline: number; bare: number }>();
  const pool = createInferencePool({ provider: "cpu" });
  try {
    for (const size of sizes) {
      const image = await portrait(size);
      const mp = (size * size) / 1e6;
      for (const { preset, yardstick } of cases) {
        const settings = settingsOf(preset);
        const bare = await bareMs(yardstick, image);
        const { tile } = jobTiles(portraitModelIds({ ...settings, presetId: preset }), image, {}, "cpu", { scale: settings.scale, portrait: true });
        for (const rule of detailRoutingsOf(settings, full)) {
          const restore = applyRouting(rule);
          const run = await timedPipeline(pool, image, settings, tile).finally(restore);
          // The projections take the preset as it ships.
          if (rule === SHIPPED) perPixel.set(preset, { pipeline: run.ms / mp, bare: bare.ms / mp });
          const shares = [...run.modelRuns]
            .filter(([id]) => !id.startsWith("blazeface"))
            .map(([id, r]) => `${id} ${(r.pixels / (size * size)).toFixed(2)}`)
            .join(", ");
          rows.push([
            `${mp.toFixed(2)} MP (${size}²)`,
            preset,
            rule.label,
            yardstick,
            seconds(bare.ms),
            seconds(run.ms),
            (run.ms / bare.ms).toFixed(2),
            (run.cpuMs / bare.cpuMs).toFixed(2),
            shares || "none",
            "measured",
          ]);
          // Only the two branch models: the face models (detector, mesh, matte) are already in the faces stage.
          // Looked up under the run's routing: the light model exists only while its switch is on.
          const branchIds = withRouting(rule, () => [fidelityOf(settings), lightOf(settings), detailOf(settings)]);
          const modelMs = branchIds.reduce((sum, id) => sum + (id ? (run.modelRuns.get(id)?.ms ?? 0) : 0), 0);
          const st = run.stages;
          stageRows.push([
            `${size}²`,
            preset,
            rule.label,
            seconds(st.faces),
            seconds(st.cleanup),
            ...branchIds.map((id) => (id ? seconds(run.modelRuns.get(id)?.ms ?? 0) : "—")),
            seconds(run.ms - (st.faces ?? 0) - (st.cleanup ?? 0) - modelMs),
            String(tile),
            (run.rssBytes / 1024 ** 3).toFixed(2),
          ]);
        }
      }
    }
  } finally {
    await pool.close();
  }
  const largest = sizes[sizes.length - 1];
  for (const target of [2048, 6000 * 4000]) {
    const mp = target === 2048 ? 4.19 : 24;
    if (target === 2048 && sizes.includes(2048)) continue;
    for (const { preset, yardstick } of cases) {
      const per = perPixel.get(preset)!;
      rows.push([
        `${mp} MP${target === 2048 ? " (2048²)" : " (6000×4000)"}`,
        preset,
        SHIPPED.label,
        yardstick,
        seconds(per.bare * mp),
        seconds(per.pipeline * mp),
        (per.pipeline / per.bare).toFixed(2),
        "",
        "",
        `projected from ${largest}²`,
      ]);
    }
  }
  context.table(
    "Portrait presets vs one bare model pass (CPU)",
    ["input", "preset", "detail routing", "yardstick model", "bare s", "pipeline s", "ratio", "CPU-time ratio", "input pixels per image pixel, per model (context included)", "how"],
    rows,
  );
  context.table(
    "Where the time goes (seconds; the rest is routing, resampling, the blend and the finish)",
    ["input", "preset", "detail routing", "faces", "clean-up", "fidelity model", "light detail model", "detail model", "rest", "tile", "RSS GB"],
    stageRows,
  );
  return perPixel;
}

export const portraitSpeedSection: BenchSection = {
  name: "portrait-speed",
  summary: "The portrait presets vs one bare model pass on the same pixels, the detail model everywhere vs x4fast off faces (0.25 and 1 MP measured, 4 and 24 MP projected).",
  async run(context) {
    const models = ["realesrgan-x4plus", "realesrgan-x4fast", "esrgan-thick-x2"];
    const missing = models.filter((id) => !installed(id));
    if (missing.length > 0) {
      context.note(`${missing.join(", ")} not installed; skipped.`);
      return;
    }
    const perPixel = await measurePortraitSpeed(context, context.full ? [512, 1024, 2048] : [512, 1024], context.full ? allCases() : CASES, context.full);
    const script = fileURLToPath(import.meta.url);
    const memoryRows: string[][] = [];
    const memoryCases = context.full ? [[1024, 1024], [3000, 2000]] : [[1024, 1024]];
    for (const [width, height] of memoryCases) {
      const child = spawnSync(process.execPath, [script, PORTRAIT_MEMORY_CHILD_FLAG, String(width), String(height), "256"], { encoding: "utf8" });
      if (child.status !== 0) {
        memoryRows.push([`${width}×${height}`, "-", "-", `failed: ${child.stderr.trim().split("\n").pop() ?? ""}`]);
        continue;
      }
      const result = JSON.parse(child.stdout.trim().split("\n").pop()!);
      memoryRows.push([`${width}×${height}`, result.seconds.toFixed(1), (result.peakBytes / 1024 ** 3).toFixed(2), "measured, fresh process, model tiles 256²"]);
      if (width === 1024) {
        // A 1024² input is one whole window, so the rest of the peak (process, model
        // sessions, one window's planes) holds at any size; only image-sized buffers grow.
        const fixed = result.peakBytes - imageSizedBytes(width * height);
        const projected = fixed + imageSizedBytes(6000 * 4000);
        memoryRows.push(["6000×4000", seconds(perPixel.get("portrait-natural")!.pipeline * 24), (projected / 1024 ** 3).toFixed(2), `projected from ${width}²`]);
      }
    }
    context.table("Default preset, peak memory (process with its workers)", ["input", "seconds", "peak RSS GB", "how"], memoryRows);
  },
};

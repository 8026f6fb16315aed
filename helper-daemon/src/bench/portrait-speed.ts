/**
 * The portrait pipeline against one bare model pass on the same pixels: the default preset
 * (Portrait — Natural, 2×) against x4plus, Fast Preview against x4fast (`--full`: every
 * built-in preset), with the time each stage took, the job's tiles and the process's resident
 * memory. A preset
 * with a light detail model off faces (`LIGHT_DETAIL`) runs twice, with its detail model on
 * every detail cell (before) and with the light model off faces (as shipped); with `--full`,
 * one whose detail model can run on the source reduced (`REDUCED_DETAIL`) also runs that way.
 * Bare runs and pipeline runs alternate in one process, so a loaded machine slows them alike. Goals (issue 11): default
 * ≤ 1.0× (aim 0.5×), Fast Preview ≤ 1.5×.
 *
 * The bare yardstick runs `session.run` over the image in non-overlapping 256² pieces (a
 * whole 1 MP x4plus run needs ~13 GB): per pixel the same work as one whole-image run. The
 * pipeline runs through the product's own `upscalePortrait` with the settings `upscale --preset`
 * gets, so the job plans its tiles (and a split model's stage tiles) as for a user. Besides wall
 * time, the process's CPU time (all threads) is compared: load from other processes disturbs it
 * less. 4 and 24 MP are projected per pixel from the largest size measured: 1024² is one pass
 * window, so a larger image's window seams (each window's context) are not in the projection.
 */
import { modelPath } from "@portrait-upscale/models";
import { BUILT_IN_PRESETS } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import { cropPlanes } from "../image/crop";
import { openBareSession } from "../inference/baseline";
import { createInferencePool, type InferencePool } from "../inference/index";
import { LIGHT_DETAIL, REDUCED_DETAIL, detailModel, fidelityModel, lightDetailModel } from "../portrait/branch-models";
import type { PortraitSettings } from "../portrait/pipeline";
import { PresetStore } from "../presets/index";
import { portraitSettings, upscalePortrait, type UpscaleSettings } from "../upscale/index";
import { portraitTiles } from "../upscale/memory-plan";
import type { UpscaleStage } from "../upscale/progress";
import type { JobTiles } from "../tiling/job-tiles";
import type { BenchContext, BenchSection } from "./section";
import { installed, portrait } from "./fixtures";
import { countedPool, type ModelRuns } from "./model-runs";

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

/** One run: total and per-stage milliseconds, per-model runs, and the highest RSS seen at a stage change. */
interface PortraitRun {
  /** `performance.now()` when the run started. */
  readonly startedAt: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly stages: Partial<Record<UpscaleStage, number>>;
  /** Per model id (a split model's stages apart): its `session.run` milliseconds and the input pixels it ran on. */
  readonly modelRuns: ReadonlyMap<string, ModelRuns>;
  readonly tiles: JobTiles;
  readonly rssBytes: number;
}

/**
 * Runs the product's portrait upscale once (`upscalePortrait`: the job's planned tiles, a split
 * model's stage tiles, routing), timing its stages from the progress events and each model's
 * runs at the pool.
 */
export async function timedPortrait(pool: InferencePool, image: RgbImage, settings: UpscaleSettings): Promise<PortraitRun> {
  const stages: Partial<Record<UpscaleStage, number>> = {};
  let current: UpscaleStage | undefined;
  let since = performance.now();
  let rss = process.memoryUsage().rss;
  const started = since;
  const cpu = process.cpuUsage();
  const counted = countedPool(pool);
  await upscalePortrait(image, counted.pool, settings, {
    onProgress: ({ stage }) => {
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
  const tiles = portraitTiles({ ...settings, portrait: settings.portrait! }, image, pool.provider);
  return { startedAt: started, ms: ended - started, cpuMs: cpuMsSince(cpu), stages, modelRuns: counted.runs, tiles, rssBytes: Math.max(rss, process.memoryUsage().rss) };
}

/** A job's tiles as the table shows them: the tile, then a split model's stage tiles. */
function tilesOf(tiles: JobTiles): string {
  const stages = Object.values(tiles.stageTiles).flat();
  return stages.length > 0 ? `${tiles.tile} / ${stages.join(", ")}` : String(tiles.tile);
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
  const presets = await PresetStore.open({ watch: "off" });
  try {
    for (const size of sizes) {
      const image = await portrait(size);
      const mp = (size * size) / 1e6;
      for (const { preset, yardstick } of cases) {
        // The settings a user's `upscale --preset` gets: the job plans its own tiles.
        const settings = portraitSettings(presets, { preset });
        const job = settings.portrait!;
        const bare = await bareMs(yardstick, image);
        for (const rule of detailRoutingsOf(job, full)) {
          const restore = applyRouting(rule);
          const run = await timedPortrait(pool, image, settings).finally(restore);
          // The projections take the preset as it ships.
          if (rule === SHIPPED) perPixel.set(preset, { pipeline: run.ms / mp, bare: bare.ms / mp });
          // Only the branch models: the face models (detector, mesh, matte) are in the faces stage.
          // Looked up under the run's routing: the light model exists only while its switch is on.
          const branchIds = withRouting(rule, () => [fidelityOf(job), lightOf(job), detailOf(job)]);
          const runsOf = (id: string): [string, ModelRuns][] => [...run.modelRuns].filter(([runId]) => runId === id || runId.startsWith(`${id}-`));
          const shares = branchIds
            .flatMap((id) => (id ? runsOf(id) : []))
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
          const msOf = (id: string | undefined): number => (id ? runsOf(id).reduce((sum, [, r]) => sum + r.ms, 0) : 0);
          const modelMs = branchIds.reduce((sum, id) => sum + msOf(id), 0);
          // The pass reports its stages by its share of the work done, so a stage's label can
          // outlast it: the faces (and routing) end where the first branch model run starts.
          const firstAt = Math.min(...branchIds.flatMap((id) => (id ? runsOf(id).map(([, r]) => r.firstAt) : [])));
          const faces = Number.isFinite(firstAt) ? firstAt - run.startedAt : (run.stages.faces ?? 0);
          const cleanup = run.stages.cleanup ?? 0;
          stageRows.push([
            `${size}²`,
            preset,
            rule.label,
            seconds(faces),
            seconds(run.stages.cleanup),
            ...branchIds.map((id) => (id ? seconds(msOf(id)) : "—")),
            seconds(run.ms - faces - cleanup - modelMs),
            tilesOf(run.tiles),
            (run.rssBytes / 1024 ** 3).toFixed(2),
          ]);
        }
      }
    }
  } finally {
    presets.close();
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
    "Where the time goes (seconds; faces and routing until the first branch model runs; the rest is resampling, the blend and the finish)",
    ["input", "preset", "detail routing", "faces and routing", "clean-up", "fidelity model", "light detail model", "detail model", "rest", "tiles (split model's stages after /)", "RSS GB"],
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
    await measurePortraitSpeed(context, context.full ? [512, 1024, 2048] : [512, 1024], context.full ? allCases() : CASES, context.full);
    context.note("Peak memory of the same runs in a fresh process, and at 24 MP under the 4 GB goal: the memory section.");
  },
};

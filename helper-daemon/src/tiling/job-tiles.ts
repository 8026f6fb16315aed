/**
 * The tiles of a whole job under one memory budget. A worker keeps every session the job uses
 * warm, and each CPU session's arena keeps the buffers of its largest run until it is released,
 * so the job's peak is the SUM of every session's largest window, plus what the job holds
 * outside them (tiling/image-memory.ts). The planner reserves that, then picks the tiles whose
 * windows together fit: one tile for the unsplit models, one per stage of a split model that
 * runs split (then its whole-model session is never opened), the combination with the least
 * model work (a tile's context is computed again by its neighbours).
 * Deterministic: it depends on the budget and the image, never on momentary free memory.
 */
import { PortraitError } from "@portrait-upscale/shared";
import { intermediateBytes, needsTiling, type StageShape } from "./stage-plan";
import { MAX_TILE, MIN_TILE, TILE_STEP, type MemoryNeeds, type TileModelNeeds } from "./tile-size";

/** One stage of a split model: its own session, tiled on its own. */
export interface JobStage extends TileModelNeeds, StageShape {
  /** Seconds per input megapixel (only ratios matter). */
  readonly cost: number;
}

/** A model the job runs on tiles. */
export interface JobModel extends TileModelNeeds {
  readonly id: string;
  /** Seconds per input megapixel (only ratios matter): what a smaller tile of it costs. */
  readonly cost: number;
  /** The stages it runs as when it must be tiled (manifest `facts.split`). */
  readonly stages?: readonly JobStage[];
}

/** A session with a fixed input (face detection, landmarks, matte): its one window. */
export interface FixedInputSession extends MemoryNeeds {
  readonly pixels: number;
}

/** Options for {@link planJobTiles}. */
export interface JobTileOptions {
  /** The largest image one model run sees: the image, or a portrait pass's window. */
  readonly run: { readonly width: number; readonly height: number };
  /** Bytes the whole job may use. */
  readonly budget: number;
  /** Bytes held outside the sessions (process, image buffers, pass window). */
  readonly reserved: number;
  readonly models: readonly JobModel[];
  readonly fixedInputs: readonly FixedInputSession[];
  /** Refuse (OUT_OF_MEMORY) rather than plan the smallest tiles when nothing fits: the user set the budget. */
  readonly refuse: boolean;
}

/** The job's tiles and the peak they plan for. */
export interface JobTiles {
  /** Kept tile of every unsplit model run (and of a split model run whole). */
  readonly tile: number;
  /** Kept tile of each stage, by split model id, when the model runs split. */
  readonly stageTiles: Readonly<Record<string, readonly number[]>>;
  /** Reserved bytes plus every resident session's largest window; absent when the user fixed the tile. */
  readonly plannedBytes?: number;
  /** The models' work in these tiles over one run relative to untiled runs (1 = no context computed twice). */
  readonly relativeWork?: number;
}

/** Bytes of one run's window: the tile and its context, no larger than the run. */
export function windowBytes(needs: TileModelNeeds, tile: number, run: { readonly width: number; readonly height: number }): number {
  const edge = tile + 2 * needs.context;
  return needs.fixedBytes + needs.bytesPerTilePixel * Math.min(edge, run.width) * Math.min(edge, run.height);
}

/** Model work over a run in tiles of `tile` relative to one untiled run: each inner seam computes the context twice. */
export function workRatio(tile: number, context: number, run: { readonly width: number; readonly height: number }): number {
  const axis = (length: number): number => (length + 2 * context * (Math.ceil(length / tile) - 1)) / length;
  return axis(run.width) * axis(run.height);
}

/** Tiles worth trying, largest first: the whole run, then multiples of TILE_STEP, then MIN_TILE. */
export function candidateTiles(run: { readonly width: number; readonly height: number }): number[] {
  const whole = Math.max(MIN_TILE, Math.min(MAX_TILE, Math.max(run.width, run.height)));
  const steps: number[] = [];
  for (let tile = Math.floor((whole - 1) / TILE_STEP) * TILE_STEP; tile >= TILE_STEP; tile -= TILE_STEP) steps.push(tile);
  return [...new Set([whole, ...steps, MIN_TILE])].filter((tile) => tile <= whole);
}

interface StagePick {
  readonly tiles: number[];
  readonly bytes: number;
  readonly work: number;
}

/** The stage tiles with the least work whose windows fit `room` bytes (the last stage takes the largest that fits). */
function pickStageTiles(stages: readonly JobStage[], room: number, run: JobTileOptions["run"]): StagePick | null {
  if (stages.length === 0) return room >= 0 ? { tiles: [], bytes: 0, work: 0 } : null;
  const [stage, ...rest] = stages;
  let best: StagePick | null = null;
  for (const tile of candidateTiles(run)) {
    const bytes = windowBytes(stage, tile, run);
    if (bytes > room) continue;
    const after = pickStageTiles(rest, room - bytes, run);
    if (after === null) continue;
    const work = stage.cost * workRatio(tile, stage.context, run) + after.work;
    if (best === null || work < best.work) best = { tiles: [tile, ...after.tiles], bytes: bytes + after.bytes, work };
    // The last stage: the largest tile that fits has the least work.
    if (rest.length === 0) break;
  }
  return best;
}

/** One way to run the models at a tile: each split model either split (its stages' sessions and planes) or whole. */
interface Layout {
  readonly bytes: number;
  readonly work: number;
  readonly split: readonly JobModel[];
}

/** Every layout at `tile`: a split model runs whole or split, each way counted with what it keeps resident. */
function layouts(models: readonly JobModel[], tile: number, run: JobTileOptions["run"]): Layout[] {
  let out: Layout[] = [{ bytes: 0, work: 0, split: [] }];
  for (const model of models) {
    const whole = { bytes: windowBytes(model, tile, run), work: model.cost * workRatio(tile, model.context, run) };
    const next: Layout[] = out.map((layout) => ({ bytes: layout.bytes + whole.bytes, work: layout.work + whole.work, split: layout.split }));
    // Split only pays when the whole model would be tiled; its stages then replace its session.
    if (model.stages !== undefined && needsTiling(run.width, run.height, tile, model.context)) {
      const planes = intermediateBytes(run.width, run.height, model.stages);
      for (const layout of out) next.push({ bytes: layout.bytes + planes, work: layout.work, split: [...layout.split, model] });
    }
    out = next;
  }
  return out;
}

/**
 * The job's tiles (see the module comment). When even the smallest tiles and the reserved
 * bytes exceed the budget: OUT_OF_MEMORY with the bytes needed in its data when `refuse`
 * (the user set the budget), else the smallest tiles (the default budget is only a share of
 * the machine's memory, and the job may still fit in the rest).
 * @example planJobTiles({ run: { width: 1024, height: 1024 }, budget: 4 * 1024 ** 3, reserved: 1e9, models: [thick, x4plus], fixedInputs: [], refuse: true }).tile
 */
export function planJobTiles(options: JobTileOptions): JobTiles {
  const { run, budget, models } = options;
  const fixed = options.reserved + options.fixedInputs.reduce((sum, session) => sum + session.fixedBytes + session.bytesPerTilePixel * session.pixels, 0);
  const untiledWork = models.reduce((sum, model) => sum + model.cost, 0);
  let best: { readonly plan: JobTiles; readonly work: number } | null = null;
  let smallest: { readonly plan: JobTiles; readonly bytes: number } | null = null;
  for (const tile of candidateTiles(run)) {
    for (const layout of layouts(models, tile, run)) {
      const bytes = fixed + layout.bytes;
      const stages = layout.split.flatMap((model) => model.stages!);
      const picked = pickStageTiles(stages, budget - bytes, run);
      if (picked === null) {
        const floor = stages.map(() => MIN_TILE);
        const need = bytes + stages.reduce((sum, stage) => sum + windowBytes(stage, MIN_TILE, run), 0);
        if (smallest === null || need < smallest.bytes) smallest = { plan: { tile, stageTiles: stageTilesOf(layout.split, floor), plannedBytes: need }, bytes: need };
        continue;
      }
      const work = layout.work + picked.work;
      const plan = { tile, stageTiles: stageTilesOf(layout.split, picked.tiles), plannedBytes: bytes + picked.bytes, relativeWork: work / untiledWork };
      if (best === null || work < best.work) best = { plan, work };
    }
  }
  if (best !== null) return best.plan;
  if (!options.refuse && smallest !== null) return smallest.plan;
  const needed = smallest?.bytes ?? Infinity;
  const gib = (value: number): string => `${(value / 1024 ** 3).toFixed(2)} GiB`;
  throw new PortraitError(
    "OUT_OF_MEMORY",
    `The memory budget of ${gib(budget)} cannot hold this job even with the smallest tiles: it needs at least ${gib(needed)}. Raise --memory-budget, crop the image or choose a smaller scale.`,
    { budget, needed },
  );
}

/** The stage tiles of each split model, by id, from the flat list in model order. */
function stageTilesOf(split: readonly JobModel[], tiles: readonly number[]): Record<string, readonly number[]> {
  const out: Record<string, readonly number[]> = {};
  let at = 0;
  for (const model of split) {
    out[model.id] = tiles.slice(at, at + model.stages!.length);
    at += model.stages!.length;
  }
  return out;
}

/**
 * Cost prediction: how long a job will take on this machine, before it runs. The work is the
 * pixels each model sees (tiles with their context included) times the model's seconds per
 * input megapixel on the provider (`facts.cost` in the manifest), times this machine's
 * calibration factor for that provider (a short measured run, stored in the config folder),
 * plus the pipeline's own work per output pixel (blend, resampling, encoding).
 */
import { modelFacts } from "@portrait-upscale/models";
import { describeDuration, type JobSettings } from "@portrait-upscale/shared";
import { createTileLayout } from "../tiling/tile-layout";
import type { JobTiles } from "../tiling/job-tiles";
import { planStageTiles, runsSplit } from "../tiling/stage-plan";
import { derivedFidelity, detailReduction, fidelityReach, lightDetailModel } from "../portrait/branch-models";

/** The words for a prediction live in shared/, so the panel says them as the CLI does. */
export { describeDuration };

/** Per-provider speed of this machine relative to the manifest's reference figures. */
export interface Calibration {
  /** Measured seconds / manifest seconds, per provider or `provider:device` key (see `calibrationKey`); 1 where not calibrated. */
  readonly factors: Readonly<Record<string, number>>;
}

export const UNCALIBRATED: Calibration = Object.freeze({ factors: Object.freeze({}) });

/**
 * Seconds per output megapixel of the work around the models (blend, masks, resampling,
 * encoding), measured on the reference machine from the default preset at 512²: small next
 * to the models, but it grows with the output.
 */
export const PIPELINE_SECONDS_PER_OUTPUT_MP = 1.5;

/** One model pass over an image: what the prediction sums. */
export interface ModelPass {
  readonly modelId: string;
  readonly width: number;
  readonly height: number;
  /** The kept tile (input pixels); the model's context is added around it. */
  readonly tile: number;
  /** A split model's stage tiles as the job planned them (tiling/job-tiles.ts): it then runs split on these, as the driver does. */
  readonly stageTiles?: readonly number[];
  /** How many times the pass runs (face restore: once per face); 1 unless given. */
  readonly count?: number;
  /** The part of the image the model runs on, 0..1, when routing's plan is not known yet; 1 unless given. */
  readonly share?: number;
}

/**
 * The share of the source esrgan-thick runs on when routing keeps it on faces (presets whose
 * detail model is x4fast, see `fidelityReach`) and does not derive it there, before the job's
 * faces are known: routing's plan (cells, hand-over ring and context) on the bench portraits
 * at 512², astronaut 0.220 and camera 0.118, averaged. Approximate by design; a job refines it
 * from its own plan. Models routed by edges run on nearly everything there (0.92–1.00: x4plus's
 * 64 px context merges nearly every routed cell), so they are priced on the whole image.
 */
export const FACES_ONLY_SHARE = 0.17;

/**
 * The share of the source the detail model runs on when a light detail model takes the cells
 * off faces (branch-models.ts `LIGHT_DETAIL`), before the job's faces are known: routing's
 * plan (face cells, hand-over ring and x4plus's 64 px context) on the bench portrait, 0.41 at
 * 512² and 0.27 at 1024². The light model is priced on the whole image. Approximate by design;
 * a job refines it from its own plan.
 */
export const FACE_DETAIL_SHARE = 0.4;

/**
 * The side of the aligned crop a face-restore model runs on (see face-restore/align.ts); kept
 * here as a number so the cost model needs no image code.
 */
export const FACE_RESTORE_SIDE = 512;

/**
 * The faces a face-restore prediction assumes before any face is found: portraits have one.
 * Approximate by design; the job's estimate is refined once faces are known.
 */
export const ASSUMED_FACES = 1;

/** The face-restore pass over `faces` aligned crops, one run each. */
export function faceRestorePass(modelId: string, faces: number): ModelPass {
  return { modelId, width: FACE_RESTORE_SIDE, height: FACE_RESTORE_SIDE, tile: FACE_RESTORE_SIDE, count: faces };
}

/** What a prediction says, with the parts it adds up. */
export interface CostPrediction {
  readonly seconds: number;
  readonly provider: string;
  /** Whether a calibration for this provider was used (otherwise the reference figures). */
  readonly calibrated: boolean;
  readonly passes: readonly PricedPass[];
}

/** Input pixels a pass sends to the model: every window, context included, times its runs. */
export function passPixels(pass: ModelPass): number {
  return windowPixels(pass.width, pass.height, pass.tile, modelFacts().byId(pass.modelId).context) * (pass.count ?? 1) * (pass.share ?? 1);
}

function windowPixels(width: number, height: number, tile: number, context: number): number {
  const layout = createTileLayout({ width, height, tile, context, scale: 1 });
  return layout.columns.length * layout.tileWidth * layout.rows.length * layout.tileHeight;
}

/** One priced part of a prediction: a model (or a stage of a split model) over its pixels. */
export interface PricedPass {
  readonly modelId: string;
  readonly megapixels: number;
  readonly seconds: number;
}

/**
 * A pass priced as it will run: a split model (manifest `facts.split`) that runs split, on the
 * job's planned stage tiles or else where the tiled driver's own rule (`runsSplit`,
 * `planStageTiles`) splits it, is priced per stage, each stage by its own cost facts over its
 * own tiles; any other pass as one model.
 */
export function pricePass(pass: ModelPass, provider: string): PricedPass[] {
  const model = modelFacts().byId(pass.modelId);
  const runs = (pass.count ?? 1) * (pass.share ?? 1);
  const stages = model.stages;
  const whole = { ...model.memory(provider), context: model.context };
  const planned = stages !== undefined && pass.stageTiles?.length === stages.length ? pass.stageTiles : undefined;
  if (stages === undefined || (planned === undefined && !runsSplit(pass.width, pass.height, pass.tile, whole, stages))) {
    const megapixels = passPixels(pass) / 1e6;
    return [{ modelId: pass.modelId, megapixels, seconds: megapixels * model.cost(provider).secondsPerInputMegapixel }];
  }
  const tiles = planned ?? planStageTiles({ width: pass.width, height: pass.height, wholeTile: pass.tile, whole, stages: stages.map((stage) => ({ ...stage.memory(provider), context: stage.context })) });
  let width = pass.width;
  let height = pass.height;
  return stages.map((stage, k) => {
    const megapixels = (windowPixels(width, height, tiles[k], stage.context) * runs) / 1e6;
    width *= stage.scale;
    height *= stage.scale;
    return { modelId: stage.id, megapixels, seconds: megapixels * stage.cost(provider).secondsPerInputMegapixel };
  });
}

/**
 * Predicts the seconds of model passes plus the pipeline's work on `outputPixels`.
 * @example predictCost([{ modelId: "realesrgan-x4plus", width: 512, height: 512, tile: 512 }], 2048 * 2048, "cpu", UNCALIBRATED).seconds // ≈ 31
 */
export function predictCost(passes: readonly ModelPass[], outputPixels: number, provider: string, calibration: Calibration): CostPrediction {
  const factor = calibration.factors[provider];
  const scale = factor !== undefined && factor > 0 ? factor : 1;
  const detailed = passes.flatMap((pass) => pricePass(pass, provider)).map((priced) => ({ ...priced, seconds: priced.seconds * scale }));
  const pipeline = (outputPixels / 1e6) * PIPELINE_SECONDS_PER_OUTPUT_MP * scale;
  return {
    seconds: detailed.reduce((sum, pass) => sum + pass.seconds, pipeline),
    provider,
    calibrated: factor !== undefined,
    passes: detailed,
  };
}

/** The job's tiles a prediction prices its passes on: the tile, and a split model's stage tiles when planned. */
export type PassTiles = Pick<JobTiles, "tile"> & Partial<Pick<JobTiles, "stageTiles">>;

/**
 * `modelId`'s pass over a `width`×`height` image as the driver runs it on the job's `tiles`:
 * the job's tile, and its stage tiles for a model the job runs split.
 */
export function plannedPass(modelId: string, width: number, height: number, tiles: PassTiles): ModelPass {
  const stageTiles = tiles.stageTiles?.[modelId];
  return { modelId, width, height, tile: tiles.tile, ...(stageTiles ? { stageTiles } : {}) };
}

/** A model run routing planned: a source region the tiled driver upscales (portrait/route-plan.ts). */
export interface RoutedRun {
  readonly modelId: string;
  readonly width: number;
  readonly height: number;
}

/** Routing's runs per pass, where known (index: the pass; a hole: not planned yet). */
export type RoutedPasses = readonly (readonly RoutedRun[] | undefined)[];

/** What is known of a portrait job's plan: the faces (assumed until detection) and the passes routing has planned. */
export interface KnownPlan {
  readonly faces: number;
  readonly runs: RoutedPasses;
}

/** Nothing known yet: one assumed face, no pass planned. */
export const UNPLANNED: KnownPlan = Object.freeze({ faces: ASSUMED_FACES, runs: Object.freeze([]) });

/**
 * The model passes of a portrait run: an optional clean-up (esrgan-thick ×2 then back to the
 * input size), then per pass the fidelity model reaching the pass's scale and the detail model,
 * then the face-restore model once per face when the settings bring one (`faces` found, or
 * {@link ASSUMED_FACES} before detection). A pass routing has planned (`routed[k]`, once the
 * job's pixels and faces are known) is those runs instead of whole-image ones. Unplanned, a
 * fidelity model kept on faces is priced at {@link FACES_ONLY_SHARE}, or not at all where its
 * branch is derived from the detail model (faces are always detail cells: a preview), and a
 * detail model that runs on the source reduced (`detailReduction`) on the reduced pixels; with a
 * light detail model off faces, it on the whole image and the detail model at
 * {@link FACE_DETAIL_SHARE}. Every pass is priced on the job's `tiles`.
 */
export function portraitPasses(settings: JobSettings, width: number, height: number, tiles: PassTiles, faces: number = ASSUMED_FACES, routed: RoutedPasses = []): ModelPass[] {
  const facts = modelFacts();
  const passes: ModelPass[] = [];
  const pass = (modelId: string, width: number, height: number): ModelPass => plannedPass(modelId, width, height, tiles);
  if (settings.cleanup) passes.push(pass(facts.reaching(settings.models.fidelity, 2).id, width, height));
  const scales = settings.twoPass && settings.scale >= 4 ? [2, settings.scale / 2] : [settings.scale];
  let w = width;
  let h = height;
  for (const [k, scale] of scales.entries()) {
    const planned = routed[k];
    if (planned) passes.push(...planned.map((run) => pass(run.modelId, run.width, run.height)));
    else {
      const fidelity = pass(facts.reaching(settings.models.fidelity, scale).id, w, h);
      if (fidelityReach(settings) !== "faces") passes.push(fidelity);
      else if (derivedFidelity(settings) === "nowhere") passes.push({ ...fidelity, share: FACES_ONLY_SHARE });
      if (settings.models.detail) {
        const detail = facts.forChoice(settings.models.detail, 4);
        const reduction = detailReduction(settings.models.detail, detail.nativeScale, scale);
        const light = lightDetailModel(settings);
        if (light) passes.push(pass(light.id, w, h));
        passes.push({ ...pass(detail.id, Math.ceil(w / reduction), Math.ceil(h / reduction)), ...(light ? { share: FACE_DETAIL_SHARE } : {}) });
      }
    }
    w = Math.round(w * scale);
    h = Math.round(h * scale);
  }
  if (settings.faceRestore && faces > 0) passes.push(faceRestorePass(settings.faceRestore.model, faces));
  return passes;
}

/**
 * How learning more of a portrait job's plan changes its prediction: the seconds with `after`
 * known over the seconds with `before` known (both uncalibrated: a calibration scales both
 * alike). A job's estimate, made before its pixels, is refined by multiplying by this each time
 * routing plans a pass, so every pass of a two-pass preset is priced as it will run.
 *
 * @example tracker.refine(routedCostRatio(settings, 512, 512, { tile: 512 }, UNPLANNED, { faces: 1, runs: [runs] }, "cpu"))
 */
export function routedCostRatio(settings: JobSettings, width: number, height: number, tiles: PassTiles, before: KnownPlan, after: KnownPlan, provider: string): number {
  const outputPixels = Math.round(width * settings.scale) * Math.round(height * settings.scale);
  const seconds = (known: KnownPlan): number => predictCost(portraitPasses(settings, width, height, tiles, known.faces, known.runs), outputPixels, provider, UNCALIBRATED).seconds;
  const was = seconds(before);
  return was > 0 ? seconds(after) / was : 1;
}

/** `known` with pass `pass` planned as `runs` and `faces` found. */
export function withPlannedPass(known: KnownPlan, pass: number, runs: readonly RoutedRun[], faces: number): KnownPlan {
  const next = [...known.runs];
  next[pass] = runs;
  return { faces, runs: next };
}

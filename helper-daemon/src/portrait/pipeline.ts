/**
 * The portrait pipeline: faces → (optional 1× clean-up) → fidelity and detail branches at
 * the target scale → region-weighted, agreement-gated blend with guards → denoise and grain.
 * Model running is injected (`deps.tileRunner`), so the CLI, the daemon and tests share it.
 */
import { PortraitError, invalidParameter, type JobSettings } from "@portrait-upscale/shared";
import { upscaleToScale, type TileRunner } from "../tiling/tiled-upscale";
import { CLEANUP_MODEL } from "./branch-models";
import { detectFaces, type Face, type RunDetector } from "./faces";
import { hairlineFallbackNotes, matteModels } from "./matte";
import { meshFallbackNotes, meshModels } from "./mesh";
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { resampleImage } from "../image/resample";
import { isSmallFaceFor, smallFaceLimitPx } from "./small-face";
import { denoiseLuma, estimateGrain, synthesizeGrain } from "./texture";
import { runTiledPass } from "./tiled-pass";
import type { PlannedRun } from "./route-plan";
import { restoreUpscaledFaces } from "../face-restore/pipeline-step";
import type { RestoreFace } from "../face-restore/restore-faces";
import type { ResultSink } from "../image/result-sink";

/** The resolved settings the pipeline runs with: a preset merged with a job's overrides. */
export type PortraitSettings = Omit<JobSettings, "presetId">;

/** The scales the pipeline offers; above 4× the detail is more speculation than recovery. */
export const PORTRAIT_SCALES = [2, 3, 4, 6, 8] as const;

/** Stages reported through `onProgress`, in order. */
export type PortraitStage = "faces" | "cleanup" | "fidelity" | "detail" | "blend" | "restore";

/** What the pipeline needs from its host. */
export interface PortraitDeps {
  /** A tile runner for an image model id (`tileRunner(pool, id)` in the daemon). */
  readonly tileRunner: (modelId: string) => TileRunner;
  /** Runs BlazeFace (see faces.ts); omit to skip face detection (no region weighting). */
  readonly runDetector?: RunDetector;
  readonly signal?: AbortSignal;
  readonly onProgress?: (stage: PortraitStage, fraction: number) => void;
  /** Largest tile edge in input pixels (default 256). */
  readonly maxTile?: number;
  /** Keep both branches and the gate in the result (for a review step; costs output-sized planes). */
  readonly keepBranches?: boolean;
  /** Largest window a pass blends at once, source pixels (memory; default `PASS_WINDOW`). */
  readonly window?: number;
  /** Runs a brought face-restore model by its id (`user:NAME`), for settings that restore faces. */
  readonly restoreFace?: (modelId: string) => RestoreFace;
  /** Told each pass's model runs once routing has decided them, with the faces found (the host refines its estimate). */
  readonly onPlanned?: (pass: number, runs: readonly PlannedRun[], faces: number) => void;
  /**
   * Takes the last pass's result window by window (e.g. in its final bit depth) instead of an
   * output-sized float image; not used when faces are restored afterwards (that needs float).
   */
  readonly sink?: ResultSink;
}

/** Something the user should know about the result. */
export interface PortraitNote {
  readonly code: "NO_FACE" | "SMALL_FACE" | "SPECULATIVE_SCALE" | "FIDELITY_ONLY" | "GRAIN_KEPT" | "CLEANED" | "FACES_RESTORED" | "MESH_FALLBACK" | "HAIRLINE_FALLBACK";
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface PortraitResult {
  readonly image: RgbImage;
  /** Faces in input pixels. */
  readonly faces: readonly Face[];
  readonly notes: readonly PortraitNote[];
  /** Model ids that ran. */
  readonly models: readonly string[];
  /** Both branches at the output size and the agreement gate, when `keepBranches` (the detail branch in the source's colour). */
  readonly branches?: { readonly fidelity: RgbImage; readonly detail: RgbImage | null; readonly gate: Plane | null };
}

/** The result when `deps.sink` was given: `image` only when the sink could not take it (faces restored). */
export type SunkPortraitResult = Omit<PortraitResult, "image"> & { readonly image?: RgbImage };

/** A fixed seed from the image content, so grain is identical for identical input. */
function contentSeed(image: RgbImage): number {
  let h = 0x811c9dc5;
  const bytes = new Uint8Array(image.rgb.buffer, image.rgb.byteOffset, Math.min(image.rgb.byteLength, 1 << 16));
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h ^ image.width ^ (image.height << 16)) >>> 0;
}

/**
 * Upscales a portrait. Faces are found on the input; the result is `scale`× the input.
 *
 * @example
 * const result = await runPortraitPipeline(image, resolvePreset(natural), {
 *   tileRunner: (id) => tileRunner(pool, id),
 *   runDetector: (id, input, size) => pool.run(id, [{ data: input, dims: [1, size, size, 3] }]).then(…),
 * });
 */
export async function runPortraitPipeline(image: RgbImage, settings: PortraitSettings, deps: PortraitDeps & { readonly sink: ResultSink }): Promise<SunkPortraitResult>;
export async function runPortraitPipeline(image: RgbImage, settings: PortraitSettings, deps: Omit<PortraitDeps, "sink">): Promise<PortraitResult>;
export async function runPortraitPipeline(image: RgbImage, settings: PortraitSettings, deps: PortraitDeps): Promise<SunkPortraitResult> {
  validateSettings(settings);
  if (image.width < 1 || image.height < 1) throw new PortraitError("INPUT_EMPTY");
  const notes: PortraitNote[] = [];
  const models = new Set<string>();
  const signal = deps.signal;
  const progress = deps.onProgress ?? (() => {});
  const throwIfCancelled = (): void => {
    if (signal?.aborted) throw new PortraitError("CANCELLED");
  };

  throwIfCancelled();
  progress("faces", 0);
  let faces: Face[] = [];
  if (deps.runDetector) {
    faces = await detectFaces(image, deps.runDetector, { signal });
    for (const id of ["blazeface-back-256", "blazeface-front-128", ...meshModels(faces), ...matteModels(faces)]) models.add(id);
  }
  notes.push(...meshFallbackNotes(faces), ...hairlineFallbackNotes(faces));
  progress("faces", 1);
  if (deps.runDetector && faces.length === 0) {
    notes.push({ code: "NO_FACE", message: "No face was found; the whole image was treated as background." });
  }
  const smallest = faces.reduce((m, f) => Math.min(m, f.box.width), Infinity);
  if (isSmallFaceFor(smallest, settings.scale)) {
    notes.push({
      code: "SMALL_FACE",
      message: "A face is small in the source; this is enlargement, not face reconstruction, so detail there is kept conservative.",
      data: { facePixels: Math.round(smallest), neededPixels: smallFaceLimitPx(settings.scale) },
    });
  }
  if (settings.scale > 4) {
    notes.push({
      code: "SPECULATIVE_SCALE",
      message: `At ${settings.scale}× most of the fine detail is the models' guess; compare at 100 % before printing.`,
      data: { scale: settings.scale },
    });
  }

  throwIfCancelled();
  let source = image;
  if (settings.cleanup) {
    progress("cleanup", 0);
    // Clean-up: the fidelity model at 2× redraws blocks and ringing as image, then a Lanczos
    // reduction back to 1× keeps its clean version of what was there (measured on a JPEG q70
    // ×4 round trip: halo −50 %, SSIM up; an area reduction blurred it 0.26 dB more).
    const cleaned = await upscaleToScale(stripAlpha(image), deps.tileRunner(CLEANUP_MODEL.id), {
      nativeScale: CLEANUP_MODEL.nativeScale,
      targetScale: 2,
      maxTile: deps.maxTile ?? 256,
      signal,
      onProgress: (p) => progress("cleanup", p.fraction),
    });
    models.add(CLEANUP_MODEL.id);
    const reduced = resampleImage(cleaned, { width: image.width, height: image.height, filter: "lanczos3" });
    source = image.alpha ? { ...reduced, alpha: image.alpha } : reduced;
    notes.push({ code: "CLEANED", message: "A 1× clean-up pass removed compression artifacts before upscaling." });
  }

  const passes = settings.twoPass && settings.scale >= 4 ? [2, settings.scale / 2] : [settings.scale];
  let current: RgbImage | null = source;
  let done = 1;
  let branches: PortraitResult["branches"];
  const grainSigma = settings.grain ? estimateGrain(luma(source)) : 0;
  if (settings.grain) {
    notes.push({ code: "GRAIN_KEPT", message: "The source's grain was measured and carried into the result.", data: { sigma: round4(grainSigma) } });
  }
  for (let pass = 0; pass < passes.length; pass++) {
    const passScale = passes[pass];
    const last = pass === passes.length - 1;
    const result: PassOutput = await upscalePass(current!, passScale, done, faces, settings, deps, models, {
      // Denoise and grain belong to the final size only.
      denoise: last ? settings.denoise : 0,
      grainSigma: last ? grainSigma : 0,
      seed: contentSeed(image),
      onPlanned: (runs) => deps.onPlanned?.(pass, runs, faces.length),
      sink: last && !settings.faceRestore ? deps.sink : undefined,
    });
    current = result.image;
    branches = result.branches;
    done *= passScale;
    throwIfCancelled();
  }
  if (!settings.models.detail) notes.push({ code: "FIDELITY_ONLY", message: "Only the fidelity model ran (no synthetic detail)." });
  if (settings.faceRestore && faces.length > 0 && current) {
    current = await restoreUpscaledFaces(current, faces, settings.scale, settings.faceRestore, deps.restoreFace, signal, (done) => progress("restore", done / faces.length));
    models.add(settings.faceRestore.model);
    const { model, strength } = settings.faceRestore;
    notes.push({ code: "FACES_RESTORED", message: `${faces.length} face(s) restored with ${model} at strength ${strength}.`, data: { model, strength, faces: faces.length } });
  }
  return {
    ...(current ? { image: current } : {}),
    faces,
    notes,
    models: [...models],
    ...(deps.keepBranches && branches ? { branches } : {}),
  };
}

interface PassExtras {
  readonly denoise: number;
  readonly grainSigma: number;
  readonly seed: number;
  readonly onPlanned: (runs: readonly PlannedRun[]) => void;
  readonly sink: ResultSink | undefined;
}

/** A pass's image (null when it went to the sink) and, for a review, its branches. */
interface PassOutput {
  readonly image: RgbImage | null;
  readonly branches: PortraitResult["branches"];
}

/** One pass: both branches at `scale`× of `source`, routed and blended window by window; `before` is the scale already reached. */
async function upscalePass(
  source: RgbImage,
  scale: number,
  before: number,
  faces: readonly Face[],
  settings: PortraitSettings,
  deps: PortraitDeps,
  models: Set<string>,
  extras: PassExtras,
): Promise<PassOutput> {
  const outWidth = source.width * scale;
  // Grain comes from one generator over the whole output, so windows cut it, never restart it.
  const grain = extras.grainSigma > 0 ? synthesizeGrain(outWidth, source.height * scale, extras.grainSigma, before * scale, extras.seed) : null;
  const finishLuma = (y: Plane, x0: number, y0: number): Plane => {
    let out = denoiseLuma(y, extras.denoise, scale);
    if (grain) {
      const data = out.data === y.data ? out.data.slice() : out.data;
      for (let row = 0; row < y.height; row++) {
        const from = (y0 + row) * outWidth + x0;
        for (let x = 0; x < y.width; x++) data[row * y.width + x] += grain.data[from + x];
      }
      out = { width: y.width, height: y.height, data };
    }
    return out;
  };
  const pass = await runTiledPass({
    source,
    scale,
    before,
    faces,
    settings,
    tileRunner: deps.tileRunner,
    maxTile: deps.maxTile ?? 256,
    signal: deps.signal,
    onProgress: deps.onProgress ?? (() => {}),
    finishLuma,
    keepBranches: deps.keepBranches === true,
    onPlanned: extras.onPlanned,
    ...(deps.window !== undefined ? { window: deps.window } : {}),
    ...(extras.sink ? { sink: extras.sink } : {}),
  });
  for (const id of pass.models) models.add(id);
  return { image: pass.image, branches: pass.branches ?? (pass.image ? { fidelity: pass.image, detail: null, gate: null } : undefined) };
}

function stripAlpha(image: RgbImage): RgbImage {
  return { width: image.width, height: image.height, rgb: image.rgb };
}

function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}

function validateSettings(settings: PortraitSettings): void {
  if (!(PORTRAIT_SCALES as readonly number[]).includes(settings.scale)) {
    throw invalidParameter(`one of ${PORTRAIT_SCALES.join(", ")}`, "scale", settings.scale);
  }
  for (const name of ["creativity", "resemblance", "denoise"] as const) {
    const v = settings[name];
    if (!(typeof v === "number" && v >= 0 && v <= 1)) throw invalidParameter("a number from 0 to 1", name, v);
  }
  for (const [region, v] of Object.entries(settings.regions)) {
    if (!(typeof v === "number" && v >= 0 && v <= 1)) throw invalidParameter("a number from 0 to 1", `regions.${region}`, v);
  }
}

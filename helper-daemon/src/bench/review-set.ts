/**
 * The review's labelled set: upscales of the bench's own sources that a retoucher would
 * accept (Lanczos-3, the fidelity model, every built-in preset at its own settings) and
 * upscales with one known flaw, made by a known degradation (the raw GAN model, an
 * over-sharpened, haloed, banded, colour-shifted or blotchy copy of the default preset's
 * result, and the default preset run on a source denoised before upscaling, the guide's cause
 * of plastic skin). The review is calibrated and scored on it (review-calibration.ts).
 */
import { BUILT_IN_PRESETS, DEFAULT_PRESET_ID, resolvePreset } from "@portrait-upscale/shared";
import { upscaleToScale, type TileRunner } from "../tiling/tiled-upscale";
import type { RgbImage } from "../image/image";
import { resampleImage, resizePlane } from "../image/resample";
import { runPortraitPipeline, type PortraitSettings } from "../portrait/pipeline";
import { mapChannels, type Plane } from "../image/plane";
import { gaussianBlur } from "../image/filters";
import { guidedSmooth } from "../portrait/texture";
import { detectFaces, type Face, type RunDetector } from "../portrait/faces";
import { faceReviewAreas } from "../review/regions";
import { reviewSettingsOf, type ReviewSettings } from "../review/advice";

/** The artifacts the review is asked to tell apart from a good result. */
export const ARTIFACTS = ["invented", "plastic", "halo", "colour", "banding", "blotchy"] as const;
export type Artifact = (typeof ARTIFACTS)[number];

/** One labelled upscale. */
export interface LabelledSample {
  /** Where it came from: `astronaut.png x4 preset portrait-natural`. */
  readonly name: string;
  readonly source: RgbImage;
  readonly result: RgbImage;
  readonly scale: number;
  readonly settings: ReviewSettings;
  /** What a retoucher would flag; empty for a good result. */
  readonly labels: readonly Artifact[];
  /**
   * Flags that are fair but not the point of the sample (sharpening also rings; the raw
   * detail model also paints blotches): counted neither as hits nor as false alarms.
   */
  readonly tolerated: readonly Artifact[];
}

/** What building the set needs from the bench. */
export interface LabelledSetDeps {
  readonly runTile: (modelId: string) => TileRunner;
  readonly runDetector: RunDetector;
}

/** One source of the set: a bench input at the scale it is upscaled by. */
export interface LabelledSource {
  readonly name: string;
  readonly source: RgbImage;
  readonly scale: 2 | 4;
}

/**
 * The samples made from one source. Model runs go through `deps.runTile`, so a memoising
 * runner shares them with the rest of the bench.
 */
export async function labelledSamples(input: LabelledSource, deps: LabelledSetDeps): Promise<LabelledSample[]> {
  const { source, scale, name } = input;
  const pipeline = async (image: RgbImage, settings: PortraitSettings): Promise<RgbImage> =>
    (await runPortraitPipeline(image, settings, { tileRunner: deps.runTile, runDetector: deps.runDetector })).image;
  const presetSettings = (id: string): PortraitSettings & { presetId: string } => {
    const preset = BUILT_IN_PRESETS.find((p) => p.id === id);
    if (!preset) throw new Error(`No built-in preset "${id}"`);
    return { ...resolvePreset(preset), scale };
  };
  const sample = (method: string, result: RgbImage, settings: ReviewSettings, labels: Artifact[] = [], tolerated: Artifact[] = []): LabelledSample => ({
    name: `${name} ${method}`,
    source,
    result,
    scale,
    settings,
    labels,
    tolerated,
  });

  const samples: LabelledSample[] = [
    sample("lanczos3", resampleImage(source, { width: source.width * scale, height: source.height * scale, filter: "lanczos3" }), {}),
    sample("fidelity alone", await upscaleToScale(source, deps.runTile(fidelityModelId(scale)), { nativeScale: scale, targetScale: scale, maxTile: 256 }), {
      model: "thick",
    }),
  ];
  let base: RgbImage | undefined;
  for (const preset of BUILT_IN_PRESETS) {
    const settings = presetSettings(preset.id);
    const result = await pipeline(source, settings);
    if (preset.id === DEFAULT_PRESET_ID) base = result;
    // A clean-up pass denoises before upscaling, the guide's cause of plastic skin, by design
    // for JPEG sources: on a clean source a plastic flag is fair, though not the point.
    samples.push(sample(`preset ${preset.id}`, result, reviewSettingsOf(settings), [], preset.cleanup ? ["plastic"] : []));
  }
  if (!base) throw new Error(`The default preset ${DEFAULT_PRESET_ID} is not built in`);
  const natural = reviewSettingsOf(presetSettings(DEFAULT_PRESET_ID));
  const x4plus = await upscaleToScale(source, deps.runTile("realesrgan-x4plus"), { nativeScale: 4, targetScale: scale, maxTile: 256 });
  samples.push(
    // The raw detail model paints texture in some regions and smooths others into wax.
    sample("raw x4plus", x4plus, { model: "x4plus" }, ["invented"], ["halo", "colour", "blotchy", "plastic"]),
    ...changedOnly(base, [
      sample("over-sharpened", unsharp(base, 0.7, 1.5), natural, ["invented"], ["halo"]),
      sample("haloed", unsharp(base, scale, 1.2), natural, ["halo"], ["invented", "colour"]),
      sample("banded", posterize(base, 24), natural, ["banding"], ["plastic"]),
      sample("colour-shifted", tint(base, 1.05, 0.95), natural, ["colour"]),
      sample("blotchy skin", mottle(base, await detectFaces(source, deps.runDetector), scale, BLOTCH_AMPLITUDE), natural, ["blotchy"]),
    ]),
    sample("denoised first (plastic)", await pipeline(denoiseBeforeUpscale(source), presetSettings(DEFAULT_PRESET_ID)), natural, ["plastic"]),
  );
  return samples;
}

/**
 * The degraded copies of `base` that differ from it. A degradation can paint nothing (blotchy
 * skin where no face was found has no skin to mottle); such a copy is the good result itself,
 * and labelled flawed it would count as a miss of an artifact that is not there.
 */
export function changedOnly(base: RgbImage, degraded: readonly LabelledSample[]): LabelledSample[] {
  return degraded.filter(({ result }) => result.rgb.some((value, i) => value !== base.rgb[i]));
}

function fidelityModelId(scale: 2 | 4): string {
  return `esrgan-thick-x${scale}`;
}

/** Unsharp mask on every channel: `amount` × (image − Gaussian(σ)). */
export function unsharp(image: RgbImage, sigma: number, amount: number): RgbImage {
  return mapChannels(image, (plane) => {
    const blurred = gaussianBlur(plane, sigma).data;
    return mapPlane(plane, (v, i) => v + amount * (v - blurred[i]));
  });
}

/** Rounds every channel to `levels` levels: flat steps across smooth gradients. */
export function posterize(image: RgbImage, levels: number): RgbImage {
  const q = levels - 1;
  return mapChannels(image, (plane) => mapPlane(plane, (v) => Math.round(Math.min(1, Math.max(0, v)) * q) / q));
}

/** Scales red and blue (a warm cast when red > 1 > blue), as a drifting model would. */
export function tint(image: RgbImage, red: number, blue: number): RgbImage {
  const gains = [red, 1, blue];
  return mapChannels(image, (plane, c) => mapPlane(plane, (v) => Math.min(1, v * gains[c])));
}

/** A strong edge-preserving denoise of the source, the step that makes skin plastic when done first. */
export function denoiseBeforeUpscale(image: RgbImage): RgbImage {
  return mapChannels(image, (plane) => guidedSmooth(plane, 3, 0.05 * 0.05));
}

/** The blotchy degradation's strength: RMS of its multiplicative noise (3 % of the tone). */
export const BLOTCH_AMPLITUDE = 0.03;
const BLOTCH_SEED = 13;

/**
 * Blotchy skin, as a GAN paints it at 4×: the image multiplied, on the faces' skin (the
 * review's skin mask: cheeks, forehead and chin, without the features), by
 * 1 + `amplitude` × a smooth random field whose blobs are 1–4 source pixels across
 * (deterministic white noise per source pixel, blurred by σ 1 source pixel, scaled to unit RMS and
 * enlarged to the image). `scale` is the image's size ÷ the faces' source.
 */
export function mottle(image: RgbImage, faces: readonly Face[], scale: number, amplitude: number): RgbImage {
  const sw = Math.round(image.width / scale);
  const sh = Math.round(image.height / scale);
  const raw: Plane = { width: sw, height: sh, data: whiteNoise(sw * sh, BLOTCH_SEED) };
  const field = gaussianBlur(raw, 1);
  let energy = 0;
  for (const v of field.data) energy += v * v;
  const rms = Math.sqrt(energy / field.data.length) || 1;
  const blotches = resizePlane(field, image.width, image.height, "linear").data;
  const skin = skinMask(faces, sw, sh, image.width, image.height);
  return mapChannels(image, (plane) => mapPlane(plane, (v, i) => v * (1 + (amplitude * skin[i] * blotches[i]) / rms)));
}

/** The review's skin mask of every face (source pixels), enlarged to `width`×`height`. */
function skinMask(faces: readonly Face[], sw: number, sh: number, width: number, height: number): Float32Array {
  const skin = new Float32Array(sw * sh);
  for (const face of faces) {
    const mask = faceReviewAreas(face, sw, sh).skin?.mask;
    if (mask) for (let i = 0; i < skin.length; i++) skin[i] = Math.max(skin[i], mask.data[i]);
  }
  return resizePlane({ width: sw, height: sh, data: skin }, width, height, "linear").data;
}

/** `count` deterministic values in −1..1 (mulberry32): white noise, the same on every run. */
function whiteNoise(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function mapPlane(plane: Plane, fn: (value: number, index: number) => number): Plane {
  const data = new Float32Array(plane.data.length);
  for (let i = 0; i < data.length; i++) data[i] = fn(plane.data[i], i);
  return { width: plane.width, height: plane.height, data };
}

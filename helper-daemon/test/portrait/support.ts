/**
 * Test support for the portrait pipeline: loading fixtures as planar images and running
 * models straight through onnxruntime (handed in by the test file, the only place the
 * boundary lint lets it be imported outside the inference module).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import sharp from "sharp";
import { modelPath } from "@portrait-upscale/models";
import type { TileRunner } from "../../src/tiling/tiled-upscale";
import type { FaceMesh, RunDetector } from "../../src/portrait/faces";
import type { RgbImage } from "../../src/image/image";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/** A fixture from `test/fixtures/`. */
export function fixturePath(name: string): string {
  return join(repoRoot, "test", "fixtures", name);
}

/** Decodes an image file to planar float RGB 0..1 (alpha dropped). */
export async function loadRgb(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[c * n + i] = data[i * info.channels + c] / 255;
  return { width: info.width, height: info.height, rgb };
}

/** Whether a model's ONNX file is installed (tests that need it are skipped otherwise). */
export function hasModel(id: string): boolean {
  try {
    return existsSync(modelPath(id));
  } catch {
    return false;
  }
}

/** The subset of onnxruntime-node the helpers use. */
export interface OrtLike {
  InferenceSession: { create(path: string, options?: object): Promise<OrtSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

async function session(ort: OrtLike, cache: Map<string, Promise<OrtSession>>, id: string): Promise<OrtSession> {
  let s = cache.get(id);
  if (!s) {
    s = ort.InferenceSession.create(modelPath(id), { logSeverityLevel: 3, intraOpNumThreads: 2 });
    cache.set(id, s);
  }
  return s;
}

/** A {@link RunDetector} backed by onnxruntime sessions created on first use. */
export function ortDetector(ort: OrtLike): RunDetector {
  const cache = new Map<string, Promise<OrtSession>>();
  return async (modelId, input, size) => {
    const s = await session(ort, cache, modelId);
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", input, [1, size, size, 3]) });
    return s.outputNames.map((name) => out[name].data as Float32Array);
  };
}

/** Runs an SR model on a whole (tiny) image: NCHW in, NCHW out. */
export function ortUpscaler(ort: OrtLike): (modelId: string, image: RgbImage) => Promise<RgbImage> {
  const cache = new Map<string, Promise<OrtSession>>();
  return async (modelId, image) => {
    const s = await session(ort, cache, modelId);
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", image.rgb, [1, 3, image.height, image.width]) });
    const tensor = out[s.outputNames[0]];
    return { width: tensor.dims[3], height: tensor.dims[2], rgb: new Float32Array(tensor.data as Float32Array) };
  };
}

/** Pastes `image` into a larger canvas filled with `fill` at (x, y). */
export function padImage(image: RgbImage, width: number, height: number, x: number, y: number, fill = 0.5): RgbImage {
  const n = width * height;
  const m = image.width * image.height;
  const rgb = new Float32Array(n * 3).fill(fill);
  for (let c = 0; c < 3; c++)
    for (let j = 0; j < image.height; j++)
      rgb.set(image.rgb.subarray(c * m + j * image.width, c * m + (j + 1) * image.width), c * n + (j + y) * width + x);
  return { width, height, rgb };
}

/** A tile runner (the tiled driver's contract) backed by onnxruntime directly. */
export function ortTileRunner(ort: OrtLike): (modelId: string) => TileRunner {
  const upscale = ortUpscaler(ort);
  return (modelId) => async (tile) => {
    const out = await upscale(modelId, { width: tile.width, height: tile.height, rgb: tile.data });
    return { data: out.rgb, width: out.width, height: out.height };
  };
}

/**
 * A stand-in Face Mesh: the 468 landmarks on a sunflower spiral of `radius` around (`cx`,
 * `cy`), input pixels. Not a face (its outlines are odd shapes), but deterministic: enough to
 * check that mesh masks land where they should, wherever they are drawn.
 */
export function spiralMesh(cx: number, cy: number, radius: number): FaceMesh {
  const points = new Float32Array(468 * 3);
  for (let i = 0; i < 468; i++) {
    const r = radius * Math.sqrt(i / 468);
    points[3 * i] = cx + r * Math.cos(i * 2.39996);
    points[3 * i + 1] = cy + r * Math.sin(i * 2.39996);
  }
  return { points, confidence: 0.9, yaw: 0 };
}

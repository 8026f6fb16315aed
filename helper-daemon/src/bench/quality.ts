/**
 * `npm run bench:quality`: how close each method gets to the original after a round trip.
 * Each fixture is reduced (×4, ×2, and ×4 saved as JPEG q70) with antialiasing, upscaled
 * back by the baselines (Lanczos-3, the fidelity model alone, the detail model alone) and
 * by the portrait pipeline with each built-in preset, and compared with the original over
 * the face and the whole image.
 *
 * From 3× each preset also runs with one 4× stage off ("before"): the texture agreement, or
 * with `--stage strands` the hair-strand and smooth-skin reshaping of the fidelity band, or
 * with `--stage fringe` the hair mask's reach into the face oval (at every scale); a
 * line under its row gives texture ratio, detail correlation and PSNR-Y per region (face, hair,
 * skin, whole) before and after it.
 *
 * Options: --quick (astronaut ×4 only), --fixtures a.png,b.png, --inputs x4,x2,x4-jpeg70,
 * --presets id,id, --stage agreement|strands|fringe, --json, --presets-only (no baselines),
 * --review-only (only the review's calibration on the labelled set).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { repositoryRoot } from "@portrait-upscale/models";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { decodeImage } from "../image/codec";
import { interleavedU8ToPlanar, type RgbImage } from "../image/image";
import { upscaleToScale, type TileRunner } from "../tiling/tiled-upscale";
import { createInferencePool, tileRunner, type InferencePool } from "../inference/index";
import { resampleImage } from "../image/resample";
import { measureQuality, type QualityReport, type Rect } from "../metrics/quality";
import { poolDetector } from "../portrait/detector";
import { detectFaces } from "../portrait/faces";
import { runPortraitPipeline, type PortraitSettings } from "../portrait/pipeline";
import { TEXTURE_AGREEMENT, agreementStrengthAt } from "../portrait/texture-agreement";
import { HAIR_STRANDS, strandStrengthAt } from "../portrait/hair-strands";
import { HAIR_FRINGE } from "../portrait/fringe";
import { regionTextureLine, regionTextureRow, type RegionTextureRow } from "./region-texture-table";
import { textureMasks } from "./region-texture";
import { runReviewCalibration } from "./review-calibration";
import type { LabelledSource } from "./review-set";

interface Degradation {
  readonly name: string;
  readonly scale: 2 | 4;
  readonly jpegQuality?: number;
}

const DEGRADATIONS: readonly Degradation[] = [
  { name: "x4", scale: 4 },
  { name: "x2", scale: 2 },
  { name: "x4-jpeg70", scale: 4, jpegQuality: 70 },
];

interface Row {
  readonly fixture: string;
  readonly degradation: string;
  readonly method: string;
  readonly face: QualityReport | null;
  readonly whole: QualityReport;
  readonly seconds: number;
}

/** The 4× stages the bench can turn off for its before/after, by `--stage` name. */
const BEFORE_AFTER_STAGES = {
  agreement: { name: "agreement", constants: TEXTURE_AGREEMENT, strengthAt: agreementStrengthAt },
  strands: { name: "strands", constants: HAIR_STRANDS, strengthAt: strandStrengthAt },
  // The fringe moves masks, whose region factors act at every scale.
  fringe: { name: "fringe", constants: HAIR_FRINGE, strengthAt: () => HAIR_FRINGE.strength },
};

/** Pixels at the border that every method guesses; excluded as in models.md's table. */
const BORDER = 4;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      fixtures: { type: "string" },
      presets: { type: "string" },
      inputs: { type: "string" },
      json: { type: "boolean", default: false },
      "review-only": { type: "boolean", default: false },
      "presets-only": { type: "boolean", default: false },
      stage: { type: "string", default: "agreement" },
    },
  });
  const stage = BEFORE_AFTER_STAGES[values.stage as keyof typeof BEFORE_AFTER_STAGES];
  if (!stage) throw new Error(`Unknown stage "${values.stage}"; expected one of ${Object.keys(BEFORE_AFTER_STAGES).join(", ")}`);
  const root = repositoryRoot();
  const fixtures = values.fixtures?.split(",") ?? (values.quick ? ["astronaut.png"] : ["astronaut.png", "camera.png"]);
  const degradations = values.inputs
    ? values.inputs.split(",").map((name) => {
        const found = DEGRADATIONS.find((d) => d.name === name);
        if (!found) throw new Error(`Unknown input "${name}"; expected one of ${DEGRADATIONS.map((d) => d.name).join(", ")}`);
        return found;
      })
    : values.quick
      ? DEGRADATIONS.slice(0, 1)
      : DEGRADATIONS;
  const presetIds = values.presets?.split(",") ?? BUILT_IN_PRESETS.map((p) => p.id);
  const pool = createInferencePool();
  const runTile = memoisedRunners(pool);
  const runDetector = poolDetector(pool);
  const rows: Row[] = [];
  const regionRows: RegionTextureRow[] = [];
  const reviewSources: LabelledSource[] = [];
  try {
    for (const fixture of fixtures) {
      const original = (await decodeImage(await readFile(join(root, "test", "fixtures", fixture)))).image;
      // The face is measured where the detector finds it on the original (ground truth).
      const [face] = await detectFaces(original, runDetector);
      const faceRect: Rect | undefined = face ? expand(face.box, 0.1, original) : undefined;
      const masks = textureMasks(face ? [face] : [], original.width, original.height, BORDER);
      for (const degradation of degradations) {
        const source = await degrade(original, degradation);
        const scale = degradation.scale;
        reviewSources.push({ name: `${fixture} ${degradation.name}`, source, scale });
        if (values["review-only"]) continue;
        const measure = async (method: string, run: () => Promise<RgbImage>): Promise<RgbImage> => {
          const started = performance.now();
          const output = await run();
          const seconds = (performance.now() - started) / 1000;
          const row: Row = {
            fixture,
            degradation: degradation.name,
            method,
            face: faceRect ? measureQuality(output, original, { region: faceRect, border: BORDER, deltaEBlur: scale / 2 }) : null,
            whole: measureQuality(output, original, { border: BORDER, deltaEBlur: scale / 2 }),
            seconds,
          };
          rows.push(row);
          if (!values.json) printRow(row, rows.length === 1);
          return output;
        };
        if (!values["presets-only"]) await measure("lanczos3", async () => resampleImage(source, { width: original.width, height: original.height, filter: "lanczos3" }));
        if (!values["presets-only"]) {
          await measure("fidelity alone", () => fidelityAlone(source, scale, runTile));
          await measure("detail alone (x4plus)", () =>
            upscaleToScale(source, runTile("realesrgan-x4plus"), { nativeScale: 4, targetScale: scale, maxTile: 256 }),
          );
        }
        for (const id of presetIds) {
          const preset = BUILT_IN_PRESETS.find((p) => p.id === id);
          if (!preset) throw new Error(`No built-in preset "${id}"`);
          const settings: PortraitSettings = { ...resolvePreset(preset), scale };
          const run = async (): Promise<RgbImage> => (await runPortraitPipeline(source, settings, { tileRunner: runTile, runDetector })).image;
          if (stage.strengthAt(scale) <= 0) {
            await measure(`preset ${id}`, run);
            continue;
          }
          // Before and after the stage; the second run reuses the memoised model runs.
          const strength = stage.constants.strength;
          stage.constants.strength = 0;
          const before = await measure(`preset ${id} (no ${stage.name})`, run).finally(() => (stage.constants.strength = strength));
          const after = await measure(`preset ${id}`, run);
          const regionRow = regionTextureRow(`${fixture} ${degradation.name} ${id}`, before, after, original, masks);
          regionRows.push(regionRow);
          if (!values.json) process.stdout.write(`${regionTextureLine(regionRow, stage.name)}\n`);
        }
      }
    }
    if (!values.json) await runReviewCalibration(reviewSources, { runTile, runDetector }, (line) => process.stdout.write(`${line}\n`));
  } finally {
    await pool.close();
  }
  if (values.json) process.stdout.write(JSON.stringify({ border: BORDER, rows, regionRows }, null, 2) + "\n");
}

/** The fidelity model at the scale, as the pipeline would pick it. */
function fidelityAlone(source: RgbImage, scale: number, runTile: (id: string) => TileRunner): Promise<RgbImage> {
  const native = scale <= 2 ? 2 : scale <= 3 ? 3 : scale <= 4 ? 4 : 8;
  return upscaleToScale(source, runTile(`esrgan-thick-x${native}`), { nativeScale: native, targetScale: scale, maxTile: 256 });
}

/** Reduces with antialiasing (sharp's Lanczos-3, as editors do), optionally through JPEG. */
async function degrade(original: RgbImage, degradation: Degradation): Promise<RgbImage> {
  const width = original.width / degradation.scale;
  const height = original.height / degradation.scale;
  const n = original.width * original.height;
  const interleaved = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) interleaved[i * 3 + c] = Math.round(Math.min(1, Math.max(0, original.rgb[c * n + i])) * 255);
  let pipeline = sharp(interleaved, { raw: { width: original.width, height: original.height, channels: 3 } }).resize(width, height, {
    kernel: "lanczos3",
  });
  if (degradation.jpegQuality) pipeline = sharp(await pipeline.jpeg({ quality: degradation.jpegQuality }).toBuffer());
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return interleavedU8ToPlanar(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, 3);
}

/**
 * Tile runners that remember their results by model and tile content: presets that share a
 * branch (same model, same input) run it once.
 */
function memoisedRunners(pool: InferencePool): (modelId: string) => TileRunner {
  const results = new Map<string, Promise<{ data: Float32Array; width: number; height: number }>>();
  return (modelId) => {
    const run = tileRunner(pool, modelId);
    return async (tile, signal) => {
      const key = `${modelId}:${tile.width}x${tile.height}:${hash(tile.data)}`;
      let result = results.get(key);
      if (!result) {
        result = run({ data: tile.data.slice(), width: tile.width, height: tile.height }, signal);
        results.set(key, result);
      }
      const done = await result;
      return { data: done.data.slice(), width: done.width, height: done.height };
    };
  };
}

function hash(data: Float32Array): string {
  const bytes = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < bytes.length; i++) {
    h1 = Math.imul(h1 ^ bytes[i], 0x01000193);
    h2 = Math.imul(h2 ^ bytes[i], 0x5bd1e995);
  }
  return `${(h1 >>> 0).toString(16)}${(h2 >>> 0).toString(16)}`;
}

function expand(box: Rect, margin: number, image: RgbImage): Rect {
  const x = Math.max(0, box.x - box.width * margin);
  const y = Math.max(0, box.y - box.height * margin);
  const right = Math.min(image.width, box.x + box.width * (1 + margin));
  const bottom = Math.min(image.height, box.y + box.height * (1 + margin));
  return { x, y, width: right - x, height: bottom - y };
}

const COLUMNS = ["PSNR", "PSNR-Y", "SSIM-Y", "texture", "det.corr", "halo‰", "ΔE"];

function cells(q: QualityReport | null): string {
  if (!q) return COLUMNS.map(() => "—".padStart(8)).join("");
  return [q.psnrRgb, q.psnrY, q.ssimY, q.textureRatio, q.detailCorrelation, q.halo * 1000, q.deltaE]
    .map((v, i) => v.toFixed(i < 2 ? 2 : 3).padStart(8))
    .join("");
}

function printRow(row: Row, header: boolean): void {
  if (header) {
    const head = COLUMNS.map((c) => c.padStart(8)).join("");
    process.stdout.write(`${"fixture".padEnd(14)}${"input".padEnd(10)}${"method".padEnd(36)}| face:${head} | whole:${head} | s\n`);
  }
  process.stdout.write(
    `${row.fixture.padEnd(14)}${row.degradation.padEnd(10)}${row.method.padEnd(36)}|      ${cells(row.face)} |       ${cells(row.whole)} | ${row.seconds.toFixed(1)}\n`,
  );
}

await main();

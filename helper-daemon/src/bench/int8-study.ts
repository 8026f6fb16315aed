/**
 * The int8 study (docs/int8.md): quantizes a model to static QDQ int8 with activation ranges
 * calibrated on crops of two bench images, then, in one run on the CPU, times fp32 and int8
 * interleaved and measures both against the originals of the two quality-bench images (PSNR-Y,
 * texture ratio) and against each other. Prints a table. Not part of `npm run bench`: a study.
 * Usage: node helper-daemon/dist/bench/int8-study.js [--model realesrgan-x4fast] [--rounds 5]
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { calibrationModel, calibrationTensors, modelPath, quantizeQdq, repositoryRoot, type Range } from "@portrait-upscale/models";
import { interleavedU8ToPlanar, type RgbImage } from "../image/image";
import { median } from "../image/statistics";
import { InferencePool } from "../inference/index";
import { measureQuality, psnrY } from "../metrics/quality";

const CALIBRATION_IMAGES = ["chelsea-300.png", "coffee-300.png"];
const EVALUATION_IMAGES = ["astronaut.png", "camera.png"];
const SCALE = 4;

async function readImage(name: string, width?: number): Promise<RgbImage> {
  let pipeline = sharp(join(repositoryRoot(), "test", "fixtures", name)).removeAlpha();
  if (width !== undefined) pipeline = pipeline.resize(width, width, { kernel: "lanczos3" });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return interleavedU8ToPlanar(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, 3);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: "string" }, rounds: { type: "string" } } });
  const modelId = values.model ?? "realesrgan-x4fast";
  const rounds = Number(values.rounds ?? 5);
  const folder = mkdtempSync(join(tmpdir(), "pu-int8-"));
  const files: Record<string, string> = { fp32: modelPath(modelId), calibration: join(folder, "calibration.onnx"), int8: join(folder, "int8.onnx") };
  const pool = new InferencePool({ provider: "cpu", resolveModelPath: (id) => files[id] });
  try {
    const fp32 = readFileSync(files.fp32);
    writeFileSync(files.calibration, calibrationModel(fp32));
    const ranges = new Map<string, Range>(calibrationTensors(fp32).map((name) => [name, { min: 0, max: 0 }]));
    for (const name of CALIBRATION_IMAGES) {
      const image = await readImage(name, 96);
      const result = await pool.run("calibration", [{ data: image.rgb, dims: [1, 3, image.height, image.width] }]);
      for (const [tensor, range] of ranges) {
        for (const value of result.outputs[tensor].data) {
          if (value < range.min) range.min = value;
          if (value > range.max) range.max = value;
        }
      }
    }
    writeFileSync(files.int8, quantizeQdq(fp32, ranges));

    const run = async (variant: "fp32" | "int8", image: RgbImage): Promise<{ image: RgbImage; ms: number }> => {
      const result = await pool.run(variant, [{ data: image.rgb.slice(), dims: [1, 3, image.height, image.width] }]);
      const output = result.outputs[result.outputNames[0]];
      return { image: { width: output.dims[3], height: output.dims[2], rgb: output.data }, ms: result.inferenceMs };
    };
    const lines = [`int8 study: ${modelId}, CPU provider, ${rounds} interleaved rounds per image, calibration on ${CALIBRATION_IMAGES.join(", ")} at 96²`];
    lines.push("| image (input) | fp32 ms (median) | int8 ms (median) | int8 ÷ fp32 time | PSNR-Y fp32 | PSNR-Y int8 | texture fp32 | texture int8 | PSNR-Y int8 vs fp32 |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const name of EVALUATION_IMAGES) {
      const original = await readImage(name);
      const source = await readImage(name, original.width / SCALE);
      const times = { fp32: [] as number[], int8: [] as number[] };
      let outputs: Record<"fp32" | "int8", RgbImage> | undefined;
      for (let round = 0; round < rounds; round++) {
        const a = await run("fp32", source);
        const b = await run("int8", source);
        times.fp32.push(a.ms);
        times.int8.push(b.ms);
        outputs = { fp32: a.image, int8: b.image };
      }
      const q32 = measureQuality(outputs!.fp32, original, { border: 8 });
      const q8 = measureQuality(outputs!.int8, original, { border: 8 });
      const [t32, t8] = [median(times.fp32), median(times.int8)];
      lines.push(
        `| ${name} (${source.width}²) | ${t32.toFixed(0)} | ${t8.toFixed(0)} | ${(t8 / t32).toFixed(2)} | ${q32.psnrY.toFixed(2)} | ${q8.psnrY.toFixed(2)} | ${q32.textureRatio.toFixed(3)} | ${q8.textureRatio.toFixed(3)} | ${psnrY(outputs!.int8, outputs!.fp32, { border: 8 }).toFixed(2)} |`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await pool.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();

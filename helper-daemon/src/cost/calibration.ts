/**
 * The per-machine calibration of the cost model: a short run of x4fast (a second or two on a
 * CPU) compared with the manifest's reference figure gives the speed factor of one device of a
 * provider (two GPUs on one provider can differ tenfold). Stored in the config folder
 * (`calibration.json`) under `provider:device` keys, so every later prediction for that device
 * uses it; a bare provider key (files written before devices were told apart) stands for every
 * device of the provider without its own; without either, predictions use the reference figures.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { modelFacts } from "@portrait-upscale/models";
import { number, object, parse, record } from "@portrait-upscale/shared";
import writeFileAtomic from "write-file-atomic";
import { median } from "../image/statistics";
import { tileRunner, type InferencePool } from "../inference/index";
import { UNCALIBRATED, type Calibration } from "./cost-model";

/** The model and size of the calibration run: cheap, yet long enough to time. */
const CALIBRATION_MODEL = "realesrgan-x4fast";
const CALIBRATION_SIZE = 128;
const CALIBRATION_RUNS = 3;

/** The calibration file inside a config folder. */
export function calibrationFile(configDir: string): string {
  return join(configDir, "calibration.json");
}

/** Reads the calibration of this machine; {@link UNCALIBRATED} when there is none. */
export async function readCalibration(configDir: string): Promise<Calibration> {
  let text: string;
  try {
    text = await readFile(calibrationFile(configDir), "utf8");
  } catch {
    return UNCALIBRATED;
  }
  return parseCalibration(JSON.parse(text));
}

/** The key a device's factor is stored under, e.g. `cuda:1`. */
export function calibrationKey(provider: string, device: number): string {
  return `${provider}:${device}`;
}

/**
 * The calibration one device's predictions read: the device's own factor, else its provider's
 * (a bare key), else none. The result is keyed by the provider alone, as `predictCost` reads it.
 * @example deviceCalibration(parseCalibration({ factors: { cuda: 2, "cuda:1": 5 } }), "cuda", 1).factors // { cuda: 5 }
 */
export function deviceCalibration(calibration: Calibration, provider: string, device: number): Calibration {
  const factor = calibration.factors[calibrationKey(provider, device)] ?? calibration.factors[provider];
  return factor === undefined ? UNCALIBRATED : Object.freeze({ factors: Object.freeze({ [provider]: factor }) });
}

/**
 * What calibration.json holds: a positive factor per `provider:device` or bare provider key.
 * Other top-level fields are dropped, so a newer file with more in it still reads.
 */
const calibrationSchema = object({ factors: record(number({ above: 0 })) }, { unknownFields: "drop" });

/** Validates a calibration object as stored; INVALID_OPTION naming the field otherwise. */
export function parseCalibration(value: unknown): Calibration {
  const { factors } = parse(calibrationSchema, value, "calibration", "INVALID_OPTION");
  return Object.freeze({ factors: Object.freeze({ ...factors }) });
}

/**
 * Times the calibration run on `pool` (after one warm-up run) and returns the calibration with
 * the factor of the pool's provider and device set, keeping the other factors of `previous`.
 */
export async function measureCalibration(pool: InferencePool, previous: Calibration = UNCALIBRATED): Promise<Calibration> {
  const run = tileRunner(pool, CALIBRATION_MODEL);
  const size = CALIBRATION_SIZE;
  const input = (): Float32Array => new Float32Array(3 * size * size).map((_, i) => ((i * 7919) % 256) / 255);
  await run({ data: input(), width: size, height: size });
  const times: number[] = [];
  let provider: string = pool.provider;
  for (let i = 0; i < CALIBRATION_RUNS; i++) {
    const started = performance.now();
    await run({ data: input(), width: size, height: size });
    times.push((performance.now() - started) / 1000);
  }
  const stats = pool.stats();
  if (stats.providers.size === 1) provider = [...stats.providers][0];
  const seconds = median(times);
  const reference = modelFacts().byId(CALIBRATION_MODEL).cost(provider).secondsPerInputMegapixel * ((size * size) / 1e6);
  const key = calibrationKey(provider, pool.workerSettings.device ?? 0);
  return Object.freeze({ factors: Object.freeze({ ...previous.factors, [key]: seconds / reference }) });
}

/** Writes the calibration atomically: a reader sees the old file or the whole new one. */
export async function writeCalibration(configDir: string, calibration: Calibration): Promise<void> {
  await mkdir(configDir, { recursive: true });
  await writeFileAtomic(calibrationFile(configDir), `${JSON.stringify({ factors: calibration.factors }, null, 2)}\n`);
}

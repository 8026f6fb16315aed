/**
 * Measuring brought models from the command line: `models add` measures the model it adds
 * (unless `--no-measure`), `models measure NAME` measures one again (after a GPU is added, or
 * on another provider with `--provider`). The figures go into the model's record, one per
 * provider, and a short table says what they replace.
 */
import { join } from "node:path";
import type { ProviderMeasurement } from "@portrait-upscale/models";
import { invalidParameter, toErrorPayload } from "@portrait-upscale/shared";
import { loadConfig } from "../../config/config";
import { configDir } from "../../config/paths";
import { assumedFigures } from "../../user-models/catalog";
import { measureUserModel, type MeasuredModel } from "../../user-models/measure";
import type { ProbedModel } from "../../user-models/probe";
import { USER_MODEL_PREFIX, findUserModel, recordMeasurement, studioModelFolder, userModelFolder, type UserModelRecord } from "../../user-models/registry";
import type { CliContext } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { formatTable, writeJson } from "../output";
import { poolOptionsOf } from "../request-options";

/** The model folder a `models` sub-command writes to: the user's, or the studio's with `--studio`. */
export async function modelFolderOf(context: CliContext): Promise<string> {
  const dir = configDir(context.env);
  if (context.values.studio !== true) return userModelFolder(dir);
  const { studioPresetFolder } = await loadConfig(dir);
  if (studioPresetFolder === null) throw invalidParameter("a studio preset folder in config.json (studioPresetFolder)", "--studio", true);
  return studioModelFolder(studioPresetFolder);
}

/** Measures the model file at `path` on the provider the command line chooses (`--provider`, `--threads`, `--device`). */
function measureForRecord(context: CliContext, path: string, probed: ProbedModel): Promise<MeasuredModel> {
  return measureUserModel(path, probed, poolOptionsOf(context.values));
}

/** Runs `models measure NAME`: measures the recorded model again and records the figures. */
export async function measureModel(context: CliContext, name: string): Promise<number> {
  const folder = await modelFolderOf(context);
  const record = await findUserModel(folder, name);
  const measured = await measureForRecord(context, join(folder, record.file), probedOf(record));
  const updated = await recordMeasurement(folder, name, measured.measurement);
  if (context.values.json) writeJson(context, { ok: true, folder, model: updated });
  else context.stdout.write(describeMeasurement(updated, measured));
  return EXIT_CODES.ok;
}

/**
 * Measures a model `models add` has just recorded; a failure leaves it recorded with the
 * assumed figures and says how to measure it later (the model itself passed its check).
 */
export async function measureAdded(context: CliContext, folder: string, record: UserModelRecord): Promise<{ record: UserModelRecord; measured?: MeasuredModel }> {
  try {
    const measured = await measureForRecord(context, join(folder, record.file), probedOf(record));
    return { record: await recordMeasurement(folder, record.name, measured.measurement), measured };
  } catch (error) {
    const { code, message } = toErrorPayload(error);
    context.stderr.write(
      `warning: ${USER_MODEL_PREFIX}${record.name} was added but not measured (${code}: ${message}); it uses the assumed figures until \`portrait-upscale models measure ${record.name}\` succeeds.\n`,
    );
    return { record };
  }
}

function probedOf(record: UserModelRecord): ProbedModel {
  return { role: record.role, opset: record.opset, inputName: record.inputName, outputName: record.outputName, nativeScale: record.nativeScale, range: record.range };
}

/**
 * The short table of a measurement against the figures assumed before it.
 * @example context.stdout.write(describeMeasurement(record, measured));
 */
export function describeMeasurement(record: UserModelRecord, measured: MeasuredModel): string {
  const { measurement } = measured;
  const assumed = assumedFigures(measurement.provider);
  const kB = (bytes: number): string => `${(bytes / 1000).toFixed(2)} kB`;
  const rows = [
    ["FIGURE", "MEASURED", "ASSUMED BEFORE"],
    [
      "context (input px)",
      record.role === "face-restore" ? "- (not tiled)" : `${measurement.context}${measured.contextCapped ? " (the cap: it sees further)" : ""}`,
      String(assumed.context),
    ],
    ["memory per input pixel", measurement.memory ? kB(measurement.memory.bytesPerTilePixel) : `not measured on ${measurement.provider}`, kB(assumed.memory.bytesPerTilePixel)],
    ["seconds per input MP", seconds(measurement), assumed.cost.secondsPerInputMegapixel.toPrecision(3)],
  ];
  return `Measured ${USER_MODEL_PREFIX}${record.name} on ${measurement.provider} in ${measured.seconds.toFixed(1)} s:\n${formatTable(rows)}`;
}

function seconds(measurement: ProviderMeasurement): string {
  const value = measurement.cost.secondsPerInputMegapixel;
  return value >= 0.01 ? value.toPrecision(3) : value.toExponential(1);
}

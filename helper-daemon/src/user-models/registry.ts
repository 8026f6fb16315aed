/**
 * Models a user or a studio brings: a folder holding the ONNX files and `models.json`, which
 * records for each its role, what the probe measured, its sha256 and the licence note the
 * person adding it gave. The user's folder is `<config folder>/models/`; a studio's is
 * `models/` inside its shared preset folder, so one share carries both the presets and the
 * models they name.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import { sha256Hex, type ProviderMeasurement } from "@portrait-upscale/models";
import writeFileAtomic from "write-file-atomic";
import { unwritable } from "../upscale/output-file";
import type { ProbedModel, UserModelRole } from "./probe";

/** The record file inside a model folder. */
export const USER_MODELS_FILE = "models.json";
/** A brought model's name: what presets and `--model` use after the `user:` prefix. */
export const USER_MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,47}$/;
/** How a preset or a job names a brought model. */
export const USER_MODEL_PREFIX = "user:";

/** One brought model, as `models.json` records it. */
export interface UserModelRecord {
  readonly name: string;
  readonly role: UserModelRole;
  /** File name inside the folder. */
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly opset: number;
  readonly nativeScale: number;
  readonly range: readonly [number, number];
  readonly inputName: string;
  readonly outputName: string;
  /** Who may use the weights and how, in the words of the person who added them. */
  readonly licence: string;
  /** The file it was added from. */
  readonly addedFrom: string;
  readonly addedAt: string;
  /** Context, memory and cost measured on this machine, one per provider (absent: not measured). */
  readonly measurements?: readonly ProviderMeasurement[];
}

interface RecordFile {
  readonly schemaVersion: 1;
  readonly models: readonly UserModelRecord[];
}

/** The user's model folder inside the config folder. */
export function userModelFolder(configFolder: string): string {
  return join(configFolder, "models");
}

/** A studio's model folder inside its shared preset folder. */
export function studioModelFolder(studioPresetFolder: string): string {
  return join(studioPresetFolder, "models");
}

/** The models recorded in `folder` (none when it has no `models.json`). */
export async function readUserModels(folder: string): Promise<UserModelRecord[]> {
  let text: string;
  try {
    text = await readFile(join(folder, USER_MODELS_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const parsed = JSON.parse(text) as RecordFile;
  if (parsed.schemaVersion !== 1 || !Array.isArray(parsed.models)) throw invalidParameter("a models.json of schema version 1", join(folder, USER_MODELS_FILE), parsed.schemaVersion);
  return [...parsed.models];
}

export interface AddUserModelInput {
  readonly folder: string;
  readonly name: string;
  /** The file being added and its bytes (already probed). */
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly probed: ProbedModel;
  readonly licence: string;
  /** Replace a model of the same name. */
  readonly replace?: boolean;
  /** Its figures on this machine's provider (`models add` without `--no-measure`). */
  readonly measurement?: ProviderMeasurement;
}

/**
 * Copies the model into the folder and records it. A name already taken is refused unless
 * `replace`; both files are written under temporary names and renamed.
 *
 * @example await addUserModel({ folder, name: "studio-x2", path, bytes, probed, licence: "CC-BY-4.0, from …" });
 */
export async function addUserModel(input: AddUserModelInput): Promise<UserModelRecord> {
  if (!USER_MODEL_NAME.test(input.name)) throw invalidParameter("a name of lower-case letters, digits and dashes (at most 48)", "--name", input.name);
  if (input.licence.trim() === "") throw invalidParameter("a licence note (who may use the weights, and where they came from)", "--licence", input.licence);
  const folder = resolve(input.folder);
  const existing = await readUserModels(folder);
  if (!input.replace && existing.some((model) => model.name === input.name)) {
    throw invalidParameter(`a name not yet used in ${folder} (or --replace)`, "--name", input.name);
  }
  const record: UserModelRecord = {
    name: input.name,
    role: input.probed.role,
    file: `${input.name}.onnx`,
    sha256: sha256Hex(input.bytes),
    bytes: input.bytes.byteLength,
    opset: input.probed.opset,
    nativeScale: input.probed.nativeScale,
    range: input.probed.range,
    inputName: input.probed.inputName,
    outputName: input.probed.outputName,
    licence: input.licence.trim(),
    addedFrom: resolve(input.path),
    addedAt: new Date().toISOString(),
    ...(input.measurement ? { measurements: [input.measurement] } : {}),
  };
  await writingTo(folder, async () => {
    await mkdir(folder, { recursive: true });
    // The probed bytes, not the file again: what is written is what the sha256 describes.
    await writeFileAtomic(join(folder, record.file), Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength));
    await writeRecords(folder, [...existing.filter((model) => model.name !== input.name), record]);
  });
  return record;
}

/**
 * The model called `name` in `folder`; USER_MODEL_MISSING (with the names there) otherwise.
 * @example const record = await findUserModel(folder, "studio-x2");
 */
export async function findUserModel(folder: string, name: string): Promise<UserModelRecord> {
  return named(await readUserModels(folder), folder, name);
}

function named(models: readonly UserModelRecord[], folder: string, name: string): UserModelRecord {
  const found = models.find((model) => model.name === name);
  if (found) return found;
  const installed = models.map((model) => model.name);
  throw new PortraitError(
    "USER_MODEL_MISSING",
    `No model called ${name} is in ${folder}` + (installed.length > 0 ? ` (it has ${installed.join(", ")})` : "") + "; add it with `portrait-upscale models add FILE.onnx`.",
    { model: `${USER_MODEL_PREFIX}${name}`, installed, folders: [folder] },
  );
}

/**
 * Records `measurement` for the model called `name` in `folder`, replacing that provider's
 * earlier one (other providers' stay).
 * @example await recordMeasurement(folder, "studio-x2", measurement);
 */
export async function recordMeasurement(folder: string, name: string, measurement: ProviderMeasurement): Promise<UserModelRecord> {
  const models = await readUserModels(folder);
  const existing = named(models, folder, name);
  const record: UserModelRecord = {
    ...existing,
    measurements: [...(existing.measurements ?? []).filter((earlier) => earlier.provider !== measurement.provider), measurement],
  };
  await writingTo(folder, () => writeRecords(folder, models.map((model) => (model.name === name ? record : model))));
  return record;
}

function writeRecords(folder: string, models: readonly UserModelRecord[]): Promise<void> {
  const file: RecordFile = { schemaVersion: 1, models };
  return writeFileAtomic(join(folder, USER_MODELS_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

/** Runs `write`, turning a file system failure into OUTPUT_UNWRITABLE naming the folder. */
async function writingTo(folder: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw unwritable(folder, error);
  }
}

/**
 * The brought models a run may name: the user's and the studio's model folders read into one
 * catalog (the studio's beats the user's for the same name, as with presets), registered with
 * the model resolver so that tiling, routing, cost and progress treat `user:NAME` like a
 * shipped model, with its own measured figures where it has some. The folders are read again
 * whenever their `models.json` changes, so a model added (or measured) while the daemon runs
 * is used so by its next job.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadManifest, providerMeasurementSchema, useBroughtModels, withMeasurements, type CostFacts, type MemoryFacts, type ModelFacts, type ProviderMeasurement } from "@portrait-upscale/models";
import { PortraitError, USER_MODEL_REF, parse, type JobSettings, type UserModelRef } from "@portrait-upscale/shared";
import type { UserModelRole } from "./probe";
import { USER_MODELS_FILE, USER_MODEL_PREFIX, studioModelFolder, userModelFolder, type UserModelRecord } from "./registry";

/** A brought model as runs see it: its record, its file and where it came from. */
export interface BroughtModel extends UserModelRecord {
  readonly id: UserModelRef;
  readonly path: string;
  readonly source: "user" | "studio";
}

interface Folder {
  readonly source: BroughtModel["source"];
  readonly dir: string;
}

let folders: readonly Folder[] = [];
let stamp = "";
let catalog: readonly BroughtModel[] = [];

/**
 * Sets where brought models are read from (the config folder's `models/` and, when the config
 * names one, the studio preset folder's `models/`) and reads them.
 * @example useBroughtModelFolders(configDir(env), config.studioPresetFolder);
 */
export function useBroughtModelFolders(configFolder: string, studioPresetFolder: string | null): void {
  folders = [
    { source: "user", dir: userModelFolder(configFolder) },
    ...(studioPresetFolder !== null ? [{ source: "studio" as const, dir: studioModelFolder(studioPresetFolder) }] : []),
  ];
  stamp = "";
  refresh();
}

/** Every brought model known now, studio's over user's for the same name. */
export function broughtModels(): readonly BroughtModel[] {
  refresh();
  return catalog;
}

/**
 * The brought model `ref` names, checked for `role`. Throws USER_MODEL_MISSING (with the
 * names that are installed) when no folder has it, INVALID_OPTION when it has another role.
 * @example broughtModel("user:studio-x2", "detail").path
 */
export function broughtModel(ref: string, role: UserModelRole, field = "model"): BroughtModel {
  refresh();
  const found = catalog.find((model) => model.id === ref);
  if (!found) {
    const installed = catalog.filter((model) => model.role === role).map((model) => model.id);
    const name = ref.startsWith(USER_MODEL_PREFIX) ? ref.slice(USER_MODEL_PREFIX.length) : ref;
    throw new PortraitError(
      "USER_MODEL_MISSING",
      `The ${role} model ${ref} is not installed here` +
        (installed.length > 0 ? ` (installed ${role} models: ${installed.join(", ")})` : "") +
        `; add it with \`portrait-upscale models add FILE.onnx --role ${role} --name ${name} --licence TEXT\`.`,
      { model: ref, role, field, installed, folders: folders.map((folder) => folder.dir) },
    );
  }
  if (found.role !== role) {
    throw new PortraitError("INVALID_OPTION", `Expected a ${role} model for ${field} but received ${ref}, a ${found.role} model.`, { path: field, model: ref, role: found.role });
  }
  return found;
}

/**
 * The brought models a job's settings name, each checked for its role, as `{ ref: sha256 }`:
 * what a queue worker must have alike (it goes into the settings' hash). Empty for a job that
 * names none.
 */
export function broughtModelsOf(job: JobSettings): Readonly<Record<string, string>> {
  const named: [string, UserModelRole, string][] = [];
  if (USER_MODEL_REF.test(job.models.fidelity)) named.push([job.models.fidelity, "fidelity", "models.fidelity"]);
  if (job.models.detail !== null && USER_MODEL_REF.test(job.models.detail)) named.push([job.models.detail, "detail", "models.detail"]);
  if (job.faceRestore) named.push([job.faceRestore.model, "face-restore", "faceRestore.model"]);
  return Object.fromEntries(named.map(([ref, role, field]) => [ref, broughtModel(ref, role, field).sha256]));
}

/** Re-reads the folders when a `models.json` changed (size or time); cheap otherwise. */
function refresh(): void {
  const now = folders.map((folder) => `${folder.dir}:${fileStamp(join(folder.dir, USER_MODELS_FILE))}`).join("|");
  if (now === stamp) return;
  const byName = new Map<string, BroughtModel>();
  for (const folder of folders) {
    for (const record of readRecords(folder.dir)) {
      byName.set(record.name, { ...record, id: `${USER_MODEL_PREFIX}${record.name}`, path: join(folder.dir, record.file), source: folder.source });
    }
  }
  catalog = [...byName.values()];
  stamp = now;
  useBroughtModels(catalog.map((model) => ({ id: model.id, path: model.path, nativeScale: model.nativeScale, facts: withMeasurements(assumedFacts(model), validMeasurements(model)) })));
}

function fileStamp(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return "none";
  }
}

/** A folder's records; a missing or unreadable `models.json` counts as none (`models add` writes it whole). */
function readRecords(dir: string): UserModelRecord[] {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, USER_MODELS_FILE), "utf8")) as { schemaVersion?: unknown; models?: unknown };
    return parsed.schemaVersion === 1 && Array.isArray(parsed.models) ? (parsed.models as UserModelRecord[]).filter((model) => /^[a-z0-9][a-z0-9-]{0,47}$/.test(model.name)) : [];
  } catch {
    return [];
  }
}

/** A record's measurements that are well-formed; a damaged one is ignored, leaving the assumed figures. */
function validMeasurements(model: BroughtModel): ProviderMeasurement[] {
  return (Array.isArray(model.measurements) ? model.measurements : []).flatMap((measurement, k) => {
    try {
      return [parse(providerMeasurementSchema, measurement, `${model.id}.measurements[${k}]`, "INVALID_OPTION")];
    } catch {
      return [];
    }
  });
}

/**
 * Facts for a brought model before it is measured (`models add --no-measure`), and on the
 * providers it was not measured on: the hungriest shipped upscaler's context, memory and cost
 * (per provider, as the manifest gives them), so its tiles are never too small for their seams
 * nor too large for memory (a conservative guess costs speed, a bold one a crash).
 */
function assumedFacts(model: BroughtModel): ModelFacts {
  const { context, hungriest } = shippedUpscalers();
  return {
    role: model.role,
    choice: model.id,
    context,
    memory: hungriest.memory,
    cost: hungriest.cost,
    measured: `not measured: brought by the ${model.source} (${model.addedFrom}); the hungriest shipped upscaler's figures are assumed`,
  };
}

/**
 * The figures a brought model is assumed to have on `provider` until it is measured there.
 * @example assumedFigures("cpu").context // 64 (x4plus's)
 */
export function assumedFigures(provider: string): { context: number; memory: MemoryFacts; cost: CostFacts } {
  const { context, hungriest } = shippedUpscalers();
  const pick = <T>(table: Readonly<Partial<Record<string, T>>> & { readonly cpu: T }): T => table[provider] ?? table.cpu;
  return { context, memory: pick(hungriest.memory), cost: pick(hungriest.cost) };
}

/** The shipped upscalers' largest context, and the one needing the most memory per pixel. */
function shippedUpscalers(): { context: number; hungriest: ModelFacts } {
  const upscalers = loadManifest().models.flatMap((entry) => {
    const facts = (entry as { facts?: ModelFacts }).facts;
    return facts && (facts.role === "detail" || facts.role === "fidelity") ? [facts] : [];
  });
  const hungriest = upscalers.reduce((a, b) => (b.memory.cpu.bytesPerTilePixel > a.memory.cpu.bytesPerTilePixel ? b : a));
  return { context: Math.max(...upscalers.map((facts) => facts.context)), hungriest };
}

/**
 * Model facts: what the product needs to know to run a model well (its role in the portrait
 * pipeline, the short name users choose it by, how much context a tile needs around it, its
 * memory and its cost per provider). They live in `models/manifest.json` next to the files;
 * this module validates them and is the one resolver every caller asks.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";

/** What a model does for the portrait pipeline. */
export const MODEL_ROLES = ["detail", "fidelity", "detector"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** Providers facts may be given for; a provider without its own figures uses the CPU's. */
export const FACT_PROVIDERS = ["cpu", "cuda", "dml", "coreml", "webgpu"] as const;
export type FactProvider = (typeof FACT_PROVIDERS)[number];

/** Peak memory of one run: `fixedBytes + bytesPerTilePixel × input pixels`. */
export interface MemoryFacts {
  readonly bytesPerTilePixel: number;
  readonly fixedBytes: number;
}

/** Time of one run, per input megapixel (tiles' context included in the pixels counted). */
export interface CostFacts {
  readonly secondsPerInputMegapixel: number;
}

/** The `facts` object of a manifest entry. */
export interface ModelFacts {
  readonly role: ModelRole;
  /** The short name users choose the model by (`x4plus`, `x4fast`, `thick`, `blazeface`). */
  readonly choice: string;
  /**
   * Input pixels of real neighbours a tile needs on every side so that its kept part matches
   * an untiled run within 2/255 (how far the network sees in practice).
   */
  readonly context: number;
  readonly memory: Readonly<Partial<Record<FactProvider, MemoryFacts>>> & { readonly cpu: MemoryFacts };
  readonly cost: Readonly<Partial<Record<FactProvider, CostFacts>>> & { readonly cpu: CostFacts };
  /** How the figures were measured (machine, method). */
  readonly measured: string;
  /** The model cut in two at install (models/src/split.ts), each stage with its own facts. */
  readonly split?: SplitFacts;
}

/** One stage of a split model: its file and the facts the tiled driver sizes its tiles by. */
export interface StageFacts {
  /** The id a pool runs it by (`<model id>-trunk`, …). */
  readonly id: string;
  /** Its `.onnx` file in the model folder, written at install from the whole model. */
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Integer scale of this stage (the product of all stages' is the model's). */
  readonly scale: number;
  /** Channels it takes and gives (3 at the image ends). */
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly context: number;
  readonly memory: Readonly<Partial<Record<FactProvider, MemoryFacts>>> & { readonly cpu: MemoryFacts };
  readonly cost: Readonly<Partial<Record<FactProvider, CostFacts>>> & { readonly cpu: CostFacts };
}

/** Where a model is cut and its stages, in order. */
export interface SplitFacts {
  /** The tensor of the whole model at which it is cut. */
  readonly cut: string;
  readonly stages: readonly StageFacts[];
  readonly measured: string;
}

/** Checks a manifest entry's `facts`; the message names the first wrong field. */
export function validateFacts(value: unknown, where: string): ModelFacts {
  const facts = object(value, where);
  const role = facts.role;
  if (typeof role !== "string" || !(MODEL_ROLES as readonly string[]).includes(role)) {
    throw invalidParameter(`one of ${MODEL_ROLES.join(", ")}`, `${where}.role`, role);
  }
  if (typeof facts.choice !== "string" || !/^[a-z0-9-]+$/.test(facts.choice)) {
    throw invalidParameter("a short lower-case name", `${where}.choice`, facts.choice);
  }
  const context = facts.context;
  if (typeof context !== "number" || !Number.isInteger(context) || context < 0) {
    throw invalidParameter("a non-negative integer", `${where}.context`, context);
  }
  if (typeof facts.measured !== "string" || facts.measured === "") throw invalidParameter("a non-empty string", `${where}.measured`, facts.measured);
  const memory = perProvider(facts.memory, `${where}.memory`, (entry, at) => ({
    bytesPerTilePixel: positive(entry.bytesPerTilePixel, `${at}.bytesPerTilePixel`),
    fixedBytes: positive(entry.fixedBytes, `${at}.fixedBytes`, true),
  }));
  const cost = perProvider(facts.cost, `${where}.cost`, (entry, at) => ({
    secondsPerInputMegapixel: positive(entry.secondsPerInputMegapixel, `${at}.secondsPerInputMegapixel`),
  }));
  const split = facts.split === undefined ? undefined : validateSplit(facts.split, `${where}.split`);
  return { role: role as ModelRole, choice: facts.choice, context, memory, cost, measured: facts.measured, ...(split ? { split } : {}) } as ModelFacts;
}

function validateSplit(value: unknown, where: string): SplitFacts {
  const split = object(value, where);
  if (typeof split.cut !== "string" || split.cut === "") throw invalidParameter("a tensor name", `${where}.cut`, split.cut);
  if (typeof split.measured !== "string" || split.measured === "") throw invalidParameter("a non-empty string", `${where}.measured`, split.measured);
  if (!Array.isArray(split.stages) || split.stages.length < 2) throw invalidParameter("an array of at least two stages", `${where}.stages`, split.stages);
  const stages = split.stages.map((entry: unknown, index: number): StageFacts => {
    const at = `${where}.stages[${index}]`;
    const stage = object(entry, at);
    for (const name of ["id", "file", "sha256"] as const) {
      if (typeof stage[name] !== "string" || stage[name] === "") throw invalidParameter("a non-empty string", `${at}.${name}`, stage[name]);
    }
    const integer = (name: string, least: number): number => {
      const value = stage[name];
      if (typeof value !== "number" || !Number.isInteger(value) || value < least) throw invalidParameter(`an integer of at least ${least}`, `${at}.${name}`, value);
      return value;
    };
    return {
      id: stage.id as string,
      file: stage.file as string,
      sha256: stage.sha256 as string,
      bytes: integer("bytes", 1),
      scale: integer("scale", 1),
      inputChannels: integer("inputChannels", 1),
      outputChannels: integer("outputChannels", 1),
      context: integer("context", 0),
      memory: perProvider(stage.memory, `${at}.memory`, (item, path) => ({
        bytesPerTilePixel: positive(item.bytesPerTilePixel, `${path}.bytesPerTilePixel`),
        fixedBytes: positive(item.fixedBytes, `${path}.fixedBytes`, true),
      })),
      cost: perProvider(stage.cost, `${at}.cost`, (item, path) => ({
        secondsPerInputMegapixel: positive(item.secondsPerInputMegapixel, `${path}.secondsPerInputMegapixel`),
      })),
    };
  });
  if (stages[0].inputChannels !== 3 || stages[stages.length - 1].outputChannels !== 3) {
    throw invalidParameter("stages that take and give RGB at the ends", `${where}.stages`, stages.map((stage) => stage.id));
  }
  for (let k = 1; k < stages.length; k++) {
    if (stages[k].inputChannels !== stages[k - 1].outputChannels) {
      throw invalidParameter(`${stages[k - 1].outputChannels} input channels`, `${where}.stages[${k}].inputChannels`, stages[k].inputChannels);
    }
  }
  return { cut: split.cut, stages, measured: split.measured };
}

function perProvider<T>(value: unknown, where: string, read: (entry: Record<string, unknown>, at: string) => T): Record<string, T> & { cpu: T } {
  const table = object(value, where);
  const result: Record<string, T> = {};
  for (const [name, entry] of Object.entries(table)) {
    if (!(FACT_PROVIDERS as readonly string[]).includes(name)) throw invalidParameter(`one of ${FACT_PROVIDERS.join(", ")}`, `${where} key`, name);
    result[name] = read(object(entry, `${where}.${name}`), `${where}.${name}`);
  }
  if (result.cpu === undefined) throw invalidParameter("an object", `${where}.cpu`, undefined);
  return result as Record<string, T> & { cpu: T };
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidParameter("an object", name, value);
  return value as Record<string, unknown>;
}

function positive(value: unknown, name: string, zeroAllowed = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
    throw invalidParameter(zeroAllowed ? "a non-negative number" : "a positive number", name, value);
  }
  return value;
}

/** The part of a manifest entry the resolver reads. */
interface FactSource {
  readonly id: string;
  readonly nativeScale: number;
  readonly facts?: ModelFacts;
}

/** A model with its facts resolved: everything a caller needs to plan a run. */
export interface ResolvedModel {
  readonly id: string;
  readonly nativeScale: number;
  readonly role: ModelRole;
  readonly choice: string;
  readonly context: number;
  /** Memory figures on `provider` (the CPU's where the provider has none of its own). */
  memory(provider?: string): MemoryFacts;
  /** Cost figures on `provider` (the CPU's where the provider has none; a calibration corrects them). */
  cost(provider?: string): CostFacts;
  /** The model's stages when it is split (see {@link SplitFacts}), in order. */
  readonly stages?: readonly ResolvedStage[];
}

/** A stage of a split model with its facts resolved per provider. */
export interface ResolvedStage {
  readonly id: string;
  readonly file: string;
  readonly scale: number;
  readonly inputChannels: number;
  readonly outputChannels: number;
  readonly context: number;
  memory(provider?: string): MemoryFacts;
  cost(provider?: string): CostFacts;
}

function resolve(entry: FactSource): ResolvedModel {
  const facts = entry.facts;
  if (facts === undefined) throw new PortraitError("INTERNAL", `The manifest has no facts for "${entry.id}".`, { id: entry.id });
  const pick = <T>(table: Readonly<Partial<Record<FactProvider, T>>> & { readonly cpu: T }, provider?: string): T =>
    (provider !== undefined ? table[provider as FactProvider] : undefined) ?? table.cpu;
  return Object.freeze({
    id: entry.id,
    nativeScale: entry.nativeScale,
    role: facts.role,
    choice: facts.choice,
    context: facts.context,
    memory: (provider?: string) => pick(facts.memory, provider),
    cost: (provider?: string) => pick(facts.cost, provider),
    ...(facts.split
      ? {
          stages: facts.split.stages.map((stage) =>
            Object.freeze({
              id: stage.id,
              file: stage.file,
              scale: stage.scale,
              inputChannels: stage.inputChannels,
              outputChannels: stage.outputChannels,
              context: stage.context,
              memory: (provider?: string) => pick(stage.memory, provider),
              cost: (provider?: string) => pick(stage.cost, provider),
            }),
          ),
        }
      : {}),
  });
}

/**
 * The one resolver of model facts over a manifest's entries.
 * @example
 * const models = modelResolver(loadManifest().models);
 * models.byId("realesrgan-x4plus").context;      // 48
 * models.forChoice("thick", 2).id;               // "esrgan-thick-x2"
 * models.forChoice("x4fast", 2).nativeScale;     // 4 (then resampled)
 */
export interface ModelResolver {
  /** The model with this id; MODEL_UNKNOWN otherwise. */
  byId(id: string): ResolvedModel;
  /** Every model a user's choice names, smallest native scale first. */
  ofChoice(choice: string): readonly ResolvedModel[];
  /**
   * The model that runs for a choice at a scale: the one with exactly that native scale, else
   * the ×4 one (its result is resampled), else the first.
   */
  forChoice(choice: string, scale: number): ResolvedModel;
  /** The cheapest model of a choice whose native scale reaches `scale` (or its largest). */
  reaching(choice: string, scale: number): ResolvedModel;
  /** The role of a model id (e.g. which branch of the portrait pipeline produced it). */
  roleOf(id: string): ModelRole;
}

/** Builds the resolver over manifest entries (see {@link ModelResolver}). */
export function modelResolver(entries: readonly FactSource[]): ModelResolver {
  const models = entries.filter((entry) => entry.facts !== undefined).map(resolve);
  const byId = (id: string): ResolvedModel => {
    const model = models.find((entry) => entry.id === id);
    if (model === undefined) {
      const valid = models.map((entry) => entry.id);
      throw new PortraitError("MODEL_UNKNOWN", `No model has the id "${id}". Valid ids: ${valid.join(", ")}`, { id, valid });
    }
    return model;
  };
  const ofChoice = (choice: string): readonly ResolvedModel[] => {
    const found = models.filter((model) => model.choice === choice).sort((a, b) => a.nativeScale - b.nativeScale);
    if (found.length === 0) {
      const valid = [...new Set(models.filter((model) => model.role !== "detector").map((model) => model.choice))];
      throw new PortraitError("MODEL_UNKNOWN", `No model is called "${choice}". Choose ${valid.join(", ")}.`, { model: choice, valid });
    }
    return found;
  };
  return {
    byId,
    ofChoice,
    forChoice(choice, scale) {
      const candidates = ofChoice(choice);
      return candidates.find((model) => model.nativeScale === scale) ?? candidates.find((model) => model.nativeScale === 4) ?? candidates[0];
    },
    reaching(choice, scale) {
      const candidates = ofChoice(choice);
      return candidates.find((model) => model.nativeScale >= scale) ?? candidates[candidates.length - 1];
    },
    roleOf: (id) => byId(id).role,
  };
}

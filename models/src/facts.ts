/**
 * Model facts: what the product needs to know to run a model well (its role in the portrait
 * pipeline, the short name users choose it by, how much context a tile needs around it, its
 * memory and its cost per provider). They live in `models/manifest.json` next to the files;
 * this module validates them and is the one resolver every caller asks.
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";

/** What a model does for the portrait pipeline. */
export const MODEL_ROLES = ["detail", "fidelity", "detector", "landmarks"] as const;
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
  return { role: role as ModelRole, choice: facts.choice, context, memory, cost, measured: facts.measured } as ModelFacts;
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
      const valid = [...new Set(models.filter((model) => model.role === "detail" || model.role === "fidelity").map((model) => model.choice))];
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

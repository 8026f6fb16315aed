/**
 * Model facts: what the product needs to know to run a model well (its role in the portrait
 * pipeline, the short name users choose it by, how much context a tile needs around it, its
 * memory and its cost per provider). They live in `models/manifest.json` next to the files;
 * this module validates them and is the one resolver every caller asks.
 */
import { PortraitError, integer, number, object, oneOf, optional, parse, string, type Infer, type Schema } from "@portrait-upscale/shared";

/** What a model does for the portrait pipeline (face-restore models are only ever brought by users). */
export const MODEL_ROLES = ["detail", "fidelity", "detector", "face-restore"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** Providers facts may be given for; a provider without its own figures uses the CPU's. */
export const FACT_PROVIDERS = ["cpu", "cuda", "dml", "coreml", "webgpu"] as const;
export type FactProvider = (typeof FACT_PROVIDERS)[number];

/** Peak memory of one run: `fixedBytes + bytesPerTilePixel × input pixels`. */
const memoryFactsSchema = object({ bytesPerTilePixel: number({ above: 0 }), fixedBytes: number({ min: 0 }) });
/** Time of one run, per input megapixel (tiles' context included in the pixels counted). */
const costFactsSchema = object({ secondsPerInputMegapixel: number({ above: 0 }) });

export type MemoryFacts = Readonly<Infer<typeof memoryFactsSchema>>;
export type CostFacts = Readonly<Infer<typeof costFactsSchema>>;

/** A table of figures per provider: the CPU's are required; an unknown provider is refused. */
function perProvider<T>(figures: Schema<T>) {
  return object({ cpu: figures, cuda: optional(figures), dml: optional(figures), coreml: optional(figures), webgpu: optional(figures) });
}

/**
 * The `facts` object of a manifest entry. Fields other modules add are dropped rather than
 * refused (add them here to keep them); provider tables stay strict.
 */
export const modelFactsSchema = object(
  {
    role: oneOf(MODEL_ROLES),
    /** The short name users choose the model by (`x4plus`, `x4fast`, `thick`, `blazeface`). */
    choice: string({ pattern: /^[a-z0-9-]+$/, expected: "a short lower-case name" }),
    /**
     * Input pixels of real neighbours a tile needs on every side so that its kept part matches
     * an untiled run within 2/255 (how far the network sees in practice).
     */
    context: integer({ min: 0 }),
    memory: perProvider(memoryFactsSchema),
    cost: perProvider(costFactsSchema),
    /** How the figures were measured (machine, method). */
    measured: string({ minLength: 1 }),
  },
  { unknownFields: "drop" },
);

export type ModelFacts = Readonly<Infer<typeof modelFactsSchema>>;

/** Checks a manifest entry's `facts`; the message names the first wrong field ("Expected X for `where`.field …"). */
export function validateFacts(value: unknown, where: string): ModelFacts {
  return parse(modelFactsSchema, value, where, "INVALID_OPTION");
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

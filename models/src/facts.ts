/**
 * Model facts: what the product needs to know to run a model well (its role in the portrait
 * pipeline, the short name users choose it by, how much context a tile needs around it, its
 * memory and its cost per provider). They live in `models/manifest.json` next to the files;
 * this module validates them and is the one resolver every caller asks.
 */
import { PortraitError, array, integer, number, object, oneOf, optional, parse, schemaError, string, type Infer, type Schema } from "@portrait-upscale/shared";

/** What a model does for the portrait pipeline (face-restore models are only ever brought by users). */
export const MODEL_ROLES = ["detail", "fidelity", "detector", "landmarks", "matte", "face-restore"] as const;
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

/** What sizing a run needs, for a whole model and for each stage of a split one alike. */
const runFactsShape = {
  /**
   * Input pixels of real neighbours a tile needs on every side so that its kept part matches
   * an untiled run within 2/255 (how far the network sees in practice).
   */
  context: integer({ min: 0 }),
  memory: perProvider(memoryFactsSchema),
  cost: perProvider(costFactsSchema),
};

/** One stage of a split model: its file and the facts the tiled driver sizes its tiles by. */
const stageFactsSchema = object({
  /** The id a pool runs it by (`<model id>-trunk`, …). */
  id: string({ minLength: 1 }),
  /** Its `.onnx` file in the model folder, written at install from the whole model. */
  file: string({ minLength: 1 }),
  sha256: string({ minLength: 1 }),
  bytes: integer({ min: 1 }),
  /** Integer scale of this stage (the product of all stages' is the model's). */
  scale: integer({ min: 1 }),
  /** Channels it takes and gives (3 at the image ends). */
  inputChannels: integer({ min: 1 }),
  outputChannels: integer({ min: 1 }),
  ...runFactsShape,
});

/** Where a model is cut and its stages, in order: RGB at the ends, each stage taking what the one before gives. */
const splitFactsSchema = object(
  {
    /** The tensor of the whole model at which it is cut. */
    cut: string({ minLength: 1 }),
    stages: array(stageFactsSchema, { minItems: 2 }),
    measured: string({ minLength: 1 }),
  },
  {
    check: ({ stages }, path, code) => {
      if (stages[0].inputChannels !== 3 || stages[stages.length - 1].outputChannels !== 3) {
        throw schemaError("stages that take and give RGB at the ends", `${path}.stages`, stages.map((stage) => stage.id), code);
      }
      for (let k = 1; k < stages.length; k++) {
        if (stages[k].inputChannels !== stages[k - 1].outputChannels) {
          throw schemaError(`${stages[k - 1].outputChannels} input channels`, `${path}.stages[${k}].inputChannels`, stages[k].inputChannels, code);
        }
      }
    },
  },
);

/** A validated value is frozen all the way down: readonly in its type too. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type StageFacts = DeepReadonly<Infer<typeof stageFactsSchema>>;
export type SplitFacts = DeepReadonly<Infer<typeof splitFactsSchema>>;

/**
 * The `facts` object of a manifest entry. Fields other modules add are dropped rather than
 * refused (add them here to keep them); provider tables stay strict.
 */
export const modelFactsSchema = object(
  {
    role: oneOf(MODEL_ROLES),
    /** The short name users choose the model by (`x4plus`, `x4fast`, `thick`, `blazeface`). */
    choice: string({ pattern: /^[a-z0-9-]+$/, expected: "a short lower-case name" }),
    ...runFactsShape,
    /** How the figures were measured (machine, method). */
    measured: string({ minLength: 1 }),
    /** The model cut in two at install (models/src/split.ts), each stage with its own facts. */
    split: optional(splitFactsSchema),
  },
  { unknownFields: "drop" },
);

export type ModelFacts = DeepReadonly<Infer<typeof modelFactsSchema>>;

/**
 * Figures measured on one provider for a model a user brought (`portrait-upscale models add`,
 * `models measure`): on that provider they replace the figures the model was assumed to have.
 */
export const providerMeasurementSchema = object({
  provider: oneOf(FACT_PROVIDERS),
  /** When it was measured (ISO 8601). */
  at: string({ minLength: 1 }),
  /** Input pixels a tile needs around it (see the manifest's `context`). */
  context: integer({ min: 0 }),
  /** Absent where the process cannot see the provider's memory (a GPU's own). */
  memory: optional(memoryFactsSchema),
  cost: costFactsSchema,
  /** How: image sizes, runs, threads. */
  method: string({ minLength: 1 }),
});

export type ProviderMeasurement = DeepReadonly<Infer<typeof providerMeasurementSchema>>;

/**
 * `assumed` with `measurements` laid over it: a measured provider gets its measured memory and
 * cost; every other provider keeps the assumed figures for that provider (never another
 * provider's measurement, which may be far off); the context is the largest measured one.
 * The latest measurement of a provider wins.
 * @example withMeasurements(x4plusFacts, [{ provider: "cpu", context: 8, cost: { secondsPerInputMegapixel: 3 }, … }]).cost.cuda // x4plus's CUDA (else CPU) figures
 */
export function withMeasurements(assumed: ModelFacts, measurements: readonly ProviderMeasurement[]): ModelFacts {
  if (measurements.length === 0) return assumed;
  const latest = new Map<FactProvider, ProviderMeasurement>();
  for (const measurement of [...measurements].sort((a, b) => a.at.localeCompare(b.at))) latest.set(measurement.provider, measurement);
  const table = <T>(figures: Readonly<Partial<Record<FactProvider, T>>> & { readonly cpu: T }, measured: (m: ProviderMeasurement) => T | undefined) =>
    Object.fromEntries(FACT_PROVIDERS.map((provider) => [provider, (latest.has(provider) ? measured(latest.get(provider)!) : undefined) ?? figures[provider] ?? figures.cpu])) as Record<FactProvider, T>;
  const described = [...latest.values()].map((m) => `${m.provider} on ${m.at.slice(0, 10)} (${m.method})`).join("; ");
  return {
    ...assumed,
    context: Math.max(...[...latest.values()].map((m) => m.context)),
    memory: table(assumed.memory, (m) => m.memory),
    cost: table(assumed.cost, (m) => m.cost),
    measured: `measured on ${described}; other providers and figures: ${assumed.measured}`,
  };
}

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

/** The figures a run is sized by, resolved per provider (a whole model or one stage of a split one). */
export interface ResolvedRun {
  readonly context: number;
  /** Memory figures on `provider` (the CPU's where the provider has none of its own). */
  memory(provider?: string): MemoryFacts;
  /** Cost figures on `provider` (the CPU's where the provider has none; a calibration corrects them). */
  cost(provider?: string): CostFacts;
}

/** A model with its facts resolved: everything a caller needs to plan a run. */
export interface ResolvedModel extends ResolvedRun {
  readonly id: string;
  readonly nativeScale: number;
  readonly role: ModelRole;
  readonly choice: string;
  /** The model's stages when it is split (see {@link SplitFacts}), in order. */
  readonly stages?: readonly ResolvedStage[];
}

/** A stage of a split model with its facts resolved per provider. */
export interface ResolvedStage extends ResolvedRun {
  readonly id: string;
  readonly file: string;
  readonly scale: number;
  readonly inputChannels: number;
  readonly outputChannels: number;
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

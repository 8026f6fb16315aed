/**
 * The options `upscale`, `batch` and `worker` share (preset, overrides, model, tile, provider,
 * threads) and how they become the one request's settings, limits and inference pool: each
 * command validates them here, at the edge, in the same words.
 */
import { join } from "node:path";
import { DEFAULT_PRESET_ID, invalidParameter } from "@portrait-upscale/shared";
import { loadConfig, type DaemonConfig } from "../config/config";
import { configDir } from "../config/paths";
import { PROVIDER_REQUESTS, parseProviderRequest, type InferencePoolOptions } from "../inference/index";
import { PresetStore } from "../presets/index";
import { useBroughtModelFolders } from "../user-models/catalog";
import { MODEL_CHOICES, SCALES, requestSettings, type UpscaleSettings } from "../upscale/index";
import type { CliContext, CliOption } from "./command";

/** The portrait controls, which only a preset run has. */
const PORTRAIT_CONTROLS = ["creativity", "resemblance", "denoise"] as const;

/** The recipe options: which preset and overrides. */
export const RECIPE_OPTIONS: Readonly<Record<string, CliOption>> = {
  preset: { type: "string", valueName: "ID", description: `A preset id (default ${DEFAULT_PRESET_ID}).` },
  creativity: { type: "string", valueName: "X", description: "Synthetic detail blended in, 0 to 1 (overrides the preset's)." },
  resemblance: { type: "string", valueName: "X", description: "Pull towards the faithful image, 0 to 1 (overrides the preset's)." },
  denoise: { type: "string", valueName: "X", description: "Denoise after upscaling, 0 to 1 (overrides the preset's)." },
  scale: { type: "string", short: "s", valueName: "N", description: `${SCALES.join(" | ")} (default: the preset's; 4 with --model alone)` },
  model: {
    type: "string",
    short: "m",
    valueName: "MODEL",
    description: `${MODEL_CHOICES.join(" | ")}: the detail model with a preset ("thick": fidelity alone), else the bare model.`,
  },
  "face-restore": {
    type: "string",
    valueName: "NAME",
    description: "Restore faces after the upscale with a face-restore model added with `models add` (user:NAME or NAME; off: none). Overrides the preset's.",
  },
  "face-restore-strength": { type: "string", valueName: "X", description: "How much of the restored face is mixed in, 0 to 1 (default: the preset's, else 0.5)." },
  tile: { type: "string", valueName: "N", description: "Largest kept tile edge in input pixels; the model's context is added around it (default: the whole image, or what the memory budget allows)." },
  "memory-budget": { type: "string", valueName: "SIZE", description: "Memory the whole job may use, e.g. 4G (default: config memoryBudget, else a quarter of total memory on CPU)." },
};

/** Where inference runs. */
export const DEVICE_OPTIONS: Readonly<Record<string, CliOption>> = {
  provider: { type: "string", valueName: "P", description: `${PROVIDER_REQUESTS.join(" | ")}`, default: "auto" },
  threads: { type: "string", valueName: "N", description: "Inference threads (default: physical cores)." },
  device: { type: "string", valueName: "N", description: "The GPU to use on machines with several (CUDA, DirectML; default 0)." },
};

/** The recipe as given on the command line, before a preset store resolves it. */
export interface RecipeFlags {
  readonly preset?: string;
  readonly model?: string;
  readonly scale?: string;
  readonly creativity?: string;
  readonly resemblance?: string;
  readonly denoise?: string;
  readonly faceRestore?: string;
  readonly faceRestoreStrength?: string;
  readonly tile?: string;
  readonly memoryBudget?: string;
}

/** The recipe flags of a command line, checked for shape (numbers from 0 to 1, a non-empty preset id). */
export function recipeFlagsOf(values: CliContext["values"]): RecipeFlags {
  const preset = values.preset;
  if (preset !== undefined && (typeof preset !== "string" || preset === "")) throw invalidParameter("a preset id", "--preset", preset);
  const flags: Record<string, string> = {};
  for (const name of ["preset", "model", "scale", "creativity", "resemblance", "denoise", "tile"] as const) {
    const value = values[name];
    if (typeof value === "string") flags[name] = value;
  }
  if (typeof values["memory-budget"] === "string") flags.memoryBudget = values["memory-budget"];
  if (typeof values["face-restore"] === "string") flags.faceRestore = values["face-restore"];
  if (typeof values["face-restore-strength"] === "string") flags.faceRestoreStrength = values["face-restore-strength"];
  const bare = preset === undefined && values.model !== undefined;
  if (!bare) {
    for (const name of PORTRAIT_CONTROLS) {
      const text = values[name];
      if (text === undefined) continue;
      const value = typeof text === "string" && text.trim() !== "" ? Number(text) : Number.NaN;
      if (!(value >= 0 && value <= 1)) throw invalidParameter("a number from 0 to 1", `--${name}`, text);
    }
  }
  return flags;
}

/** The configuration (limits, studio preset folder) and the presets every recipe resolves against. */
export interface RecipeEnvironment {
  readonly config: DaemonConfig;
  readonly presets: PresetStore;
}

/**
 * Reads the config and the preset store once (a one-off command has nothing to watch for),
 * printing skipped preset files as warnings. Close `presets` when done.
 */
export async function openRecipeEnvironment(context: CliContext): Promise<RecipeEnvironment> {
  const dir = configDir(context.env);
  const config = await loadConfig(dir);
  const presets = await PresetStore.open({ userDir: join(dir, "presets"), studioDir: config.studioPresetFolder, watch: "off" });
  useBroughtModelFolders(dir, config.studioPresetFolder);
  for (const problem of presets.problems()) context.stderr.write(`warning: skipped ${problem.message}\n`);
  return { config, presets };
}

/**
 * The settings of the recipe flags and the config they were resolved with, the preset store
 * opened and closed around it.
 */
export async function resolveRecipe(context: CliContext, flags: RecipeFlags): Promise<{ settings: UpscaleSettings; config: DaemonConfig }> {
  const environment = await openRecipeEnvironment(context);
  try {
    return { settings: settingsOfFlags(environment, flags), config: environment.config };
  } finally {
    environment.presets.close();
  }
}

/** The settings of a command-line recipe: `--model` without `--preset` runs the bare model. */
export function settingsOfFlags(environment: RecipeEnvironment, flags: RecipeFlags): UpscaleSettings {
  const memoryBudget = flags.memoryBudget ?? environment.config.memoryBudget ?? undefined;
  return requestSettings(environment.presets, {
    ...flags,
    ...(memoryBudget !== undefined ? { memoryBudget } : {}),
    allowBareModel: true,
    optionName: (name) => `--${name}`,
  });
}

/** The inference pool options of `--provider` and `--threads`. */
export function poolOptionsOf(values: CliContext["values"]): Partial<InferencePoolOptions> {
  const provider = parseProviderRequest(values.provider ?? "auto", "--provider");
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw invalidParameter("an integer from 1 to 256", "--threads", values.threads);
  }
  const device = values.device === undefined ? undefined : Number(values.device);
  if (device !== undefined && !(Number.isInteger(device) && device >= 0 && device <= 64)) {
    throw invalidParameter("an integer from 0 to 64", "--device", values.device);
  }
  return { provider, ...(threads !== undefined ? { intraOpThreads: threads } : {}), ...(device !== undefined ? { device } : {}) };
}

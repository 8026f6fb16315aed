/**
 * What a queue job carries: paths on the studio's shared folder (never pixels), the recipe as
 * the batch's command line gave it, and the hash of the values it resolved to, so a worker
 * whose presets differ refuses the job instead of rendering another recipe.
 */
import { createHash } from "node:crypto";
import { invalidParameter } from "@portrait-upscale/shared";
import type { RecipeFlags } from "../cli/request-options";
import type { EncodedFormat } from "../image/codec";

export interface QueueJobData {
  readonly version: 1;
  readonly input: string;
  readonly output: string;
  /** The output's path under `outDir`, `/`-separated. */
  readonly relative: string;
  readonly outDir: string;
  readonly recipe: RecipeFlags;
  readonly settingsHash: string;
  readonly format?: EncodedFormat;
  readonly review: boolean;
}

/** What a finished job returns: the batch entry, as `batch.json` lists it. */
export type { BatchEntry as QueueJobResult } from "../batch/process-file";

/** One job per output and recipe: adding the same image twice finds the job already there. */
export function queueJobId(data: Pick<QueueJobData, "output" | "settingsHash">): string {
  return `${data.settingsHash}-${createHash("sha256").update(data.output).digest("hex").slice(0, 24)}`;
}

const RECIPE_KEYS = ["preset", "model", "scale", "creativity", "resemblance", "denoise", "tile"] as const;
const FORMATS: readonly string[] = ["png", "jpeg", "tiff", "webp"];

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw invalidParameter("a non-empty string", `job.${name}`, value);
  return value;
}

/**
 * Validates a job's data where a worker receives it (it comes from another machine).
 * Throws INVALID_OPTION naming the field.
 */
export function parseQueueJobData(raw: unknown): QueueJobData {
  if (raw === null || typeof raw !== "object") throw invalidParameter("an object", "job", raw);
  const data = raw as Record<string, unknown>;
  if (data.version !== 1) throw invalidParameter("1", "job.version", data.version);
  const recipeRaw = data.recipe;
  if (recipeRaw === null || typeof recipeRaw !== "object") throw invalidParameter("an object", "job.recipe", recipeRaw);
  const recipe: Record<string, string> = {};
  for (const key of RECIPE_KEYS) {
    const value = (recipeRaw as Record<string, unknown>)[key];
    if (value !== undefined) recipe[key] = text(value, `recipe.${key}`);
  }
  if (data.format !== undefined && !FORMATS.includes(data.format as string)) throw invalidParameter(`one of ${FORMATS.join(", ")}`, "job.format", data.format);
  if (typeof data.review !== "boolean") throw invalidParameter("true or false", "job.review", data.review);
  return Object.freeze({
    version: 1,
    input: text(data.input, "input"),
    output: text(data.output, "output"),
    relative: text(data.relative, "relative"),
    outDir: text(data.outDir, "outDir"),
    recipe,
    settingsHash: text(data.settingsHash, "settingsHash"),
    ...(data.format !== undefined ? { format: data.format as EncodedFormat } : {}),
    review: data.review,
  });
}

/**
 * Precision variants of a model (today: fp16 for the GPU providers that gain from it). The
 * manifest says which providers use which variant; {@link variantFor} is the one place that
 * decides. Variants are made lazily, on a GPU provider's first use, from the verified fp32
 * file: making all of them at install costs seconds and about 100 MB that CPU-only users
 * never need (docs/gpu.md).
 */
import { invalidParameter, PortraitError } from "@portrait-upscale/shared";
import { existsSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FACT_PROVIDERS, type FactProvider } from "./facts";
import { convertToFp16 } from "./fp16";
import type { ModelEntry } from "./manifest";
import { sha256Hex, stampVerified, verifyModel } from "./verify";

export const PRECISIONS = ["fp16"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** One variant file of a model and the providers that run it instead of the fp32 file. */
export interface ModelVariant {
  readonly precision: Precision;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly providers: readonly FactProvider[];
}

const VARIANT_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Checks a manifest entry's `variants`; the message names the first wrong field. */
export function validateVariants(value: unknown, where: string): readonly ModelVariant[] {
  if (!Array.isArray(value)) throw invalidParameter("an array", where, value);
  const claimed = new Set<string>();
  return value.map((item: unknown, index) => {
    const at = `${where}[${index}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw invalidParameter("an object", at, item);
    const entry = item as Record<string, unknown>;
    if (!(PRECISIONS as readonly unknown[]).includes(entry.precision)) throw invalidParameter(`one of ${PRECISIONS.join(", ")}`, `${at}.precision`, entry.precision);
    if (typeof entry.file !== "string" || !VARIANT_FILE_PATTERN.test(entry.file)) throw invalidParameter("a plain file name ending in .onnx", `${at}.file`, entry.file);
    if (typeof entry.sha256 !== "string" || !SHA256_PATTERN.test(entry.sha256)) throw invalidParameter("a lower-case hex sha256", `${at}.sha256`, entry.sha256);
    if (typeof entry.bytes !== "number" || !Number.isSafeInteger(entry.bytes) || entry.bytes <= 0) throw invalidParameter("a byte count", `${at}.bytes`, entry.bytes);
    if (!Array.isArray(entry.providers) || entry.providers.length === 0) throw invalidParameter("a non-empty array", `${at}.providers`, entry.providers);
    const providers = entry.providers.map((provider: unknown, i) => {
      if (!(FACT_PROVIDERS as readonly unknown[]).includes(provider) || provider === "cpu") {
        throw invalidParameter(`one of ${FACT_PROVIDERS.filter((name) => name !== "cpu").join(", ")}`, `${at}.providers[${i}]`, provider);
      }
      if (claimed.has(provider as string)) throw invalidParameter("a provider no other variant claims", `${at}.providers[${i}]`, provider);
      claimed.add(provider as string);
      return provider as FactProvider;
    });
    return { precision: entry.precision as Precision, file: entry.file, sha256: entry.sha256, bytes: entry.bytes, providers };
  });
}

/** The variant `provider` runs for `model`, or undefined for the fp32 file (always on the CPU). */
export function variantFor(model: ModelEntry, provider: string): ModelVariant | undefined {
  return model.variants?.find((variant) => (variant.providers as readonly string[]).includes(provider));
}

const MAKERS: Record<Precision, (bytes: Uint8Array) => Uint8Array> = { fp16: convertToFp16 };

/**
 * The path of `variant` in `dir`, made from the model's verified fp32 file when it is missing
 * or does not match its pinned hash. Written under a temporary name and renamed once its hash
 * matches. Throws MODEL_MISSING / MODEL_CORRUPT for the fp32 file, MODEL_CORRUPT when the
 * variant made does not match the manifest.
 */
export async function ensureVariant(model: ModelEntry, variant: ModelVariant, dir: string): Promise<string> {
  const path = join(dir, variant.file);
  const asEntry: ModelEntry = { ...model, onnx: { file: variant.file, sha256: variant.sha256, bytes: variant.bytes } };
  if (existsSync(path) && (await verifyModel(asEntry, dir)).state === "present") return path;
  const source = await verifyModel(model, dir);
  if (source.state !== "present") {
    const code = source.state === "missing" ? "MODEL_MISSING" : "MODEL_CORRUPT";
    throw new PortraitError(code, `The ${variant.precision} variant of ${model.id} is made from ${source.path}, which is ${source.state}; run \`portrait-upscale models verify --repair\`.`, {
      id: model.id,
      path: source.path,
    });
  }
  const made = MAKERS[variant.precision](await readFile(source.path));
  const sha256 = sha256Hex(made);
  if (sha256 !== variant.sha256) {
    throw new PortraitError("MODEL_CORRUPT", `The ${variant.precision} variant made from ${model.id} has sha256 ${sha256}, not the manifest's ${variant.sha256}.`, {
      id: model.id,
      path,
      reason: "variant hash mismatch",
    });
  }
  const temp = join(dir, `.${variant.file}.${process.pid}.tmp`);
  try {
    await writeFile(temp, made);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  await stampVerified(dir, variant.file, sha256);
  return path;
}

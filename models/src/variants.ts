/**
 * Precision variants of a model (today: fp16 for the GPU providers that gain from it). The
 * manifest says which providers use which variant; {@link variantFor} is the one place that
 * decides. Variants are made lazily, on a GPU provider's first use, from the verified fp32
 * file: making all of them at install costs seconds and about 100 MB that CPU-only users
 * never need (docs/gpu.md).
 */
import { PortraitError, array, integer, object, oneOf, parse, schemaError, string, type ErrorCode } from "@portrait-upscale/shared";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FACT_PROVIDERS } from "./facts";
import { convertToFp16 } from "./fp16";
import type { ModelEntry } from "./manifest";
import { writeModelFile } from "./model-file";
import { sha256Hex, stampVerified, verifyModel } from "./verify";

export const PRECISIONS = ["fp16"] as const;
export type Precision = (typeof PRECISIONS)[number];

const GPU_PROVIDERS = FACT_PROVIDERS.filter((name) => name !== "cpu");

const variantSchema = object(
  {
    precision: oneOf(PRECISIONS),
    file: string({ pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/, expected: "a plain file name ending in .onnx" }),
    sha256: string({ pattern: /^[0-9a-f]{64}$/, expected: "a lower-case hex sha256" }),
    bytes: integer({ min: 1 }),
    /** The providers that run this file instead of the fp32 one (never the CPU). */
    providers: array(oneOf(GPU_PROVIDERS), { minItems: 1 }),
  },
  { unknownFields: "drop" },
);

/** A manifest entry's `variants`. */
export const variantsSchema = array(variantSchema);

/** Throws unless every provider is claimed by at most one of `variants` (a manifest entry's cross-field check). */
export function checkVariantProviders(variants: readonly { readonly providers: readonly string[] }[], path: string, code: ErrorCode): void {
  const claimed = new Set<string>();
  variants.forEach((variant, index) =>
    variant.providers.forEach((provider, i) => {
      if (claimed.has(provider)) throw schemaError("a provider no other variant claims", `${path}[${index}].providers[${i}]`, provider, code);
      claimed.add(provider);
    }),
  );
}

/** One variant file of a model and the providers that run it instead of the fp32 file. */
export type ModelVariant = ModelEntry["variants"] extends readonly (infer V)[] | undefined ? V : never;

/** Checks a manifest entry's `variants`; the message names the first wrong field. */
export function validateVariants(value: unknown, where: string): readonly ModelVariant[] {
  const variants = parse(variantsSchema, value, where, "INVALID_OPTION");
  checkVariantProviders(variants, where, "INVALID_OPTION");
  return variants;
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
  await writeModelFile(dir, variant.file, made);
  await stampVerified(dir, variant.file, sha256);
  return path;
}

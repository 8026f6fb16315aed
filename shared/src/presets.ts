/**
 * Presets: the versioned document a preset file holds, its validation, and how a job's
 * overrides merge into it (a locked preset refuses them). Studios share locked presets as
 * JSON files; the built-in ones live in shared/presets/ and are inlined by bundlers.
 */
import { PortraitError } from "./errors";
import {
  type DetailModelChoice,
  type FidelityModelChoice,
  type Overrides,
  type PresetSource,
  type PresetSummary,
  SCALES,
  type UserModelRef,
  detailModelSchema,
  fidelityModelSchema,
  overridesSchema,
  presetIdSchema,
  userModelRefSchema,
} from "./protocol";
import { type Infer, boolean, literal, nullable, number, object, oneOf, optional, parse, schemaError, string } from "./schema";
import { invalidParameter } from "./errors";
import portraitNatural from "../presets/portrait-natural.json";
import portraitPrint4x from "../presets/portrait-print-4x.json";
import headshotHairLashes from "../presets/headshot-hair-lashes.json";
import oldPhotoJpegCleanup from "../presets/old-photo-jpeg-cleanup.json";
import filmScanKeepGrain from "../presets/film-scan-keep-grain.json";
import fastPreview from "../presets/fast-preview.json";

/** The preset document format this code reads and writes. */
export const PRESET_SCHEMA_VERSION = 1;
/** The preset used when a job names none. */
export const DEFAULT_PRESET_ID = "portrait-natural";
/** The facial and image regions whose creativity a preset scales separately. */
export const PRESET_REGIONS = ["eyes", "lips", "noseBridge", "hairline", "skin", "hair", "background"] as const;
export type PresetRegion = (typeof PRESET_REGIONS)[number];

const factor = number({ min: 0, max: 1 });

function faceRestoreSchema() {
  return object({ model: userModelRefSchema, strength: factor });
}

/** A face-restore step: the brought model and how much of its face is mixed in. */
export interface FaceRestoreSettings {
  readonly model: UserModelRef;
  readonly strength: number;
}

/** A preset file's content. Every field is required, so a file always says everything it does. */
export const presetSchema = object({
  schemaVersion: literal(PRESET_SCHEMA_VERSION),
  id: presetIdSchema,
  name: string({ minLength: 1, maxLength: 80 }),
  description: string({ maxLength: 500 }),
  scale: oneOf(SCALES),
  /**
   * `fidelity` keeps the person (PSNR-trained, no invented detail); `detail` adds texture.
   * Either may name a model brought with `portrait-upscale models add` as `user:NAME`.
   */
  models: object({ fidelity: fidelityModelSchema, detail: detailModelSchema }),
  /** How much of the detail model's synthetic texture is blended in. */
  creativity: factor,
  /** How strongly the result is pulled back towards the fidelity model's image. */
  resemblance: factor,
  /** Noise removed after upscaling (never before: that makes plastic skin). */
  denoise: factor,
  /** Per region, a factor 0..1 applied to creativity: lower where halos or changed features show first. */
  regions: object({
    eyes: factor,
    lips: factor,
    noseBridge: factor,
    hairline: factor,
    skin: factor,
    hair: factor,
    background: factor,
  }),
  /** A 1× JPEG clean-up pass before upscaling. */
  cleanup: boolean(),
  /** Keep film grain: measured before and re-applied after, instead of being denoised away. */
  grain: boolean(),
  /** Reach the scale in two passes (e.g. 2× then 2× for 4×): each pass starts from a better image. */
  twoPass: boolean(),
  /** Refuse overrides: the studio's look is applied as is. */
  locked: boolean(),
  /**
   * Restore every face after the upscale with a brought face-restore model, mixed in by
   * `strength` (0..1); null or absent for none (presets written before it say nothing).
   */
  faceRestore: optional(nullable(faceRestoreSchema())),
});
export type Preset = Infer<typeof presetSchema>;
/** The fields a job may override, as named in {@link Overrides}. */
export type OverrideField = keyof Overrides;

/**
 * Validates a preset document; failures are PRESET_INVALID naming the field
 * ("Expected a number from 0 to 1 for preset.regions.eyes but received 2 of type number").
 */
export function parsePreset(value: unknown, root = "preset"): Preset {
  return parse(presetSchema, value, root, "PRESET_INVALID");
}

/** A preset together with where it came from. */
export interface PresetEntry {
  readonly preset: Preset;
  readonly source: PresetSource;
  /** The file it was read from (absent for built-ins). */
  readonly path?: string;
}

/**
 * Everything a job runs with once its preset and overrides are merged: the preset's values,
 * and `models.detail` null when the job asked for the fidelity model alone (`model: "thick"`).
 */
export interface JobSettings {
  readonly presetId: string;
  readonly scale: Preset["scale"];
  readonly models: { readonly fidelity: FidelityModelChoice; readonly detail: DetailModelChoice | null };
  readonly creativity: number;
  readonly resemblance: number;
  readonly denoise: number;
  readonly regions: Readonly<Record<PresetRegion, number>>;
  readonly cleanup: boolean;
  readonly grain: boolean;
  readonly twoPass: boolean;
  /** Face restore after the upscale, or null for none. */
  readonly faceRestore: FaceRestoreSettings | null;
}

/** The default strength when a job names a face-restore model and the preset has none. */
export const DEFAULT_FACE_RESTORE_STRENGTH = 0.5;

/** The face restore of a preset with a job's overrides; a strength alone needs a model to apply to. */
function faceRestoreOf(preset: Preset, checked: Overrides): FaceRestoreSettings | null {
  const base = preset.faceRestore ?? null;
  const model = checked.faceRestore === undefined ? (base?.model ?? null) : checked.faceRestore;
  if (model === null) {
    if (checked.faceRestoreStrength !== undefined && checked.faceRestore === undefined) {
      throw invalidParameter("a face-restore model as well (overrides.faceRestore), the preset has none", "overrides.faceRestoreStrength", checked.faceRestoreStrength);
    }
    return null;
  }
  return Object.freeze({ model, strength: checked.faceRestoreStrength ?? base?.strength ?? DEFAULT_FACE_RESTORE_STRENGTH });
}

/**
 * Merges `overrides` into `preset`. A locked preset refuses any override that changes a
 * value, with PRESET_LOCKED naming the fields in `data.fields`; overrides equal to the
 * preset's own values pass (a panel may send its current sliders).
 * Overrides are validated first (INVALID_OPTION naming `overrides.<field>`).
 * @example resolvePreset(natural, { creativity: 0.2 }).creativity === 0.2
 */
export function resolvePreset(preset: Preset, overrides: Overrides = {}): JobSettings {
  const checked = parse(overridesSchema, overrides, "overrides", "INVALID_OPTION");
  const current: Record<OverrideField, unknown> = {
    creativity: preset.creativity,
    resemblance: preset.resemblance,
    denoise: preset.denoise,
    scale: preset.scale,
    model: preset.models.detail,
    faceRestore: preset.faceRestore?.model ?? null,
    faceRestoreStrength: preset.faceRestore?.strength,
  };
  const changed = (Object.keys(checked) as OverrideField[]).filter((field) => checked[field] !== current[field]);
  if (preset.locked && changed.length > 0) {
    throw new PortraitError(
      "PRESET_LOCKED",
      `The preset ${preset.id} is locked; it refuses overrides of ${changed.join(", ")}.`,
      { preset: preset.id, fields: changed },
    );
  }
  const model = checked.model ?? preset.models.detail;
  return Object.freeze({
    presetId: preset.id,
    scale: checked.scale ?? preset.scale,
    models: Object.freeze({ fidelity: preset.models.fidelity, detail: model === "thick" ? null : model }),
    creativity: checked.creativity ?? preset.creativity,
    resemblance: checked.resemblance ?? preset.resemblance,
    denoise: checked.denoise ?? preset.denoise,
    regions: Object.freeze({ ...preset.regions }),
    cleanup: preset.cleanup,
    grain: preset.grain,
    twoPass: preset.twoPass,
    faceRestore: faceRestoreOf(preset, checked),
  });
}

/** What clients list and show for a preset (`welcome.presets`, `GET /v1/presets`). */
export function summarizePreset(preset: Preset, source: PresetSource): PresetSummary {
  return {
    id: preset.id,
    name: preset.name,
    description: preset.description,
    scale: preset.scale,
    locked: preset.locked,
    source,
    values: {
      creativity: preset.creativity,
      resemblance: preset.resemblance,
      denoise: preset.denoise,
      model: preset.models.detail,
      twoPass: preset.twoPass,
      cleanup: preset.cleanup,
      grain: preset.grain,
      // Only when set, so clients that predate face restore keep reading every other preset.
      ...(preset.faceRestore ? { faceRestore: preset.faceRestore } : {}),
    },
  };
}

/**
 * Merges preset sources by precedence: later sources win over earlier ones for the same id
 * (pass built-in, then user, then studio). The order of first appearance is kept.
 */
export function mergePresetSources(...sources: readonly (readonly PresetEntry[])[]): PresetEntry[] {
  const byId = new Map<string, PresetEntry>();
  for (const entries of sources) for (const entry of entries) byId.set(entry.preset.id, entry);
  return [...byId.values()];
}

/** Checks a preset's id against its file name (`<id>.json`), so two files cannot claim one id. */
export function checkPresetFileName(preset: Preset, fileStem: string, root = "preset"): void {
  if (preset.id !== fileStem) throw schemaError(`"${fileStem}" (the file's name without .json)`, `${root}.id`, preset.id, "PRESET_INVALID");
}

/** The presets that ship with the product, validated once at load. */
export const BUILT_IN_PRESETS: readonly Preset[] = Object.freeze(
  [portraitNatural, portraitPrint4x, headshotHairLashes, oldPhotoJpegCleanup, filmScanKeepGrain, fastPreview].map((value) =>
    Object.freeze(parsePreset(value)),
  ),
);

/** The built-in presets as entries (source "built-in"), the lowest layer of the preset store. */
export function builtInPresetEntries(): PresetEntry[] {
  return BUILT_IN_PRESETS.map((preset) => ({ preset, source: "built-in" as const }));
}

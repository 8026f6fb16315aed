/**
 * The panel's settings: defaults, and the validation of what was stored (a file from an
 * older or newer panel keeps its valid fields and loses the rest).
 */
import {
  DEFAULT_PORT,
  SCALES,
  boolean,
  deviceIdSchema,
  integer,
  matches,
  number,
  oneOf,
  string,
  type PresetSummary,
  type Scale,
  type Schema,
} from "@portrait-upscale/shared";

/** Where the result goes. */
export const PLACEMENTS = ["enlarge", "keep", "new-document"] as const;
export type PlacementMode = (typeof PLACEMENTS)[number];

export interface PanelSettings {
  readonly host: string;
  readonly port: number;
  /** The daemon serves TLS (`serve --tls-cert … --tls-key …`): connect with wss:// and https://. */
  readonly secure: boolean;
  readonly presetId: string | undefined;
  readonly scale: Scale;
  readonly creativity: number;
  readonly resemblance: number;
  readonly denoise: number;
  readonly placement: PlacementMode;
  /** Ask the daemon for its review of the face at 100 %. */
  readonly review: boolean;
  /** Face restore: the preset's ("preset"), none ("off"), or a brought model the daemon lists ("user:NAME"). */
  readonly faceRestore: string;
  readonly faceRestoreStrength: number;
  /** The daemon device jobs run on (one it lists); undefined for the daemon's default. */
  readonly device: number | undefined;
}

/** The face-restore choice that keeps the preset's. */
export const FACE_RESTORE_PRESET = "preset";
/** The face-restore choice that restores no face. */
export const FACE_RESTORE_OFF = "off";

export const DEFAULT_SETTINGS: PanelSettings = {
  host: "127.0.0.1",
  port: DEFAULT_PORT,
  secure: false,
  presetId: undefined,
  scale: 4,
  creativity: 0.3,
  resemblance: 0.8,
  denoise: 0.1,
  placement: "keep",
  review: true,
  faceRestore: FACE_RESTORE_PRESET,
  faceRestoreStrength: 0.5,
  device: undefined,
};

const unit = number({ min: 0, max: 1 });
/** What each stored field must be to be kept (the protocol's schemas, field by field). */
const FIELDS: { readonly [K in keyof PanelSettings]-?: Schema<unknown> } = {
  host: string({ pattern: /^[A-Za-z0-9.:[\]-]{1,253}$/ }),
  port: integer({ min: 1, max: 65535 }),
  secure: boolean(),
  presetId: string(),
  scale: oneOf(SCALES),
  creativity: unit,
  resemblance: unit,
  denoise: unit,
  placement: oneOf(PLACEMENTS),
  review: boolean(),
  faceRestore: string({ pattern: /^(preset|off|user:[a-z0-9][a-z0-9-]{0,47})$/ }),
  faceRestoreStrength: unit,
  device: deviceIdSchema,
};

/** Reads stored settings (JSON text), keeping each valid field and the default for the rest. */
export function parseStoredSettings(text: string | undefined): PanelSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) raw = parsed as Record<string, unknown>;
  } catch {
    // Unreadable settings are replaced by the defaults: nothing in them is worth an error.
  }
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, schema] of Object.entries(FIELDS)) if (matches(schema, raw[key])) settings[key] = raw[key];
  return settings as unknown as PanelSettings;
}

/** The settings with a preset chosen: its values replace the sliders'. */
export function withPreset(settings: PanelSettings, preset: PresetSummary): PanelSettings {
  return {
    ...settings,
    presetId: preset.id,
    scale: preset.scale,
    creativity: preset.values.creativity,
    resemblance: preset.values.resemblance,
    denoise: preset.values.denoise,
  };
}

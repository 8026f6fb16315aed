/**
 * The panel's settings: defaults, and the validation of what was stored (a file from an
 * older or newer panel keeps its valid fields and loses the rest).
 */
import { DEFAULT_PORT, SCALES, type PresetSummary, type Scale } from "@portrait-upscale/shared";

/** Where the result goes. */
export const PLACEMENTS = ["enlarge", "keep", "new-document"] as const;
export type PlacementMode = (typeof PLACEMENTS)[number];

export interface PanelSettings {
  readonly host: string;
  readonly port: number;
  readonly presetId: string | undefined;
  readonly scale: Scale;
  readonly creativity: number;
  readonly resemblance: number;
  readonly denoise: number;
  readonly placement: PlacementMode;
  /** Ask the daemon for its review of the face at 100 %. */
  readonly review: boolean;
}

export const DEFAULT_SETTINGS: PanelSettings = {
  host: "127.0.0.1",
  port: DEFAULT_PORT,
  presetId: undefined,
  scale: 4,
  creativity: 0.3,
  resemblance: 0.8,
  denoise: 0.1,
  placement: "keep",
  review: true,
};

const unit = (value: unknown): value is number => typeof value === "number" && value >= 0 && value <= 1;

/** Reads stored settings (JSON text), keeping each valid field and the default for the rest. */
export function parseStoredSettings(text: string | undefined): PanelSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) raw = parsed as Record<string, unknown>;
  } catch {
    // Unreadable settings are replaced by the defaults: nothing in them is worth an error.
  }
  const d = DEFAULT_SETTINGS;
  return {
    host: typeof raw.host === "string" && /^[A-Za-z0-9.:[\]-]{1,253}$/.test(raw.host) ? raw.host : d.host,
    port: Number.isInteger(raw.port) && (raw.port as number) >= 1 && (raw.port as number) <= 65535 ? (raw.port as number) : d.port,
    presetId: typeof raw.presetId === "string" ? raw.presetId : d.presetId,
    scale: (SCALES as readonly unknown[]).includes(raw.scale) ? (raw.scale as Scale) : d.scale,
    creativity: unit(raw.creativity) ? raw.creativity : d.creativity,
    resemblance: unit(raw.resemblance) ? raw.resemblance : d.resemblance,
    denoise: unit(raw.denoise) ? raw.denoise : d.denoise,
    placement: (PLACEMENTS as readonly unknown[]).includes(raw.placement) ? (raw.placement as PlacementMode) : d.placement,
    review: typeof raw.review === "boolean" ? raw.review : d.review,
  };
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

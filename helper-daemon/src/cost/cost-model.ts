/**
 * Cost prediction: how long a job will take on this machine, before it runs. The work is the
 * pixels each model sees (tiles with their context included) times the model's seconds per
 * input megapixel on the provider (`facts.cost` in the manifest), times this machine's
 * calibration factor for that provider (a short measured run, stored in the config folder),
 * plus the pipeline's own work per output pixel (blend, resampling, encoding).
 */
import { modelFacts } from "@portrait-upscale/models";
import { describeDuration, type JobSettings } from "@portrait-upscale/shared";
import { createTileLayout } from "../tiling/tile-layout";

/** The words for a prediction live in shared/, so the panel says them as the CLI does. */
export { describeDuration };

/** Per-provider speed of this machine relative to the manifest's reference figures. */
export interface Calibration {
  /** Measured seconds / manifest seconds, per provider; 1 where not calibrated. */
  readonly factors: Readonly<Record<string, number>>;
}

export const UNCALIBRATED: Calibration = Object.freeze({ factors: Object.freeze({}) });

/**
 * Seconds per output megapixel of the work around the models (blend, masks, resampling,
 * encoding), measured on the reference machine from the default preset at 512²: small next
 * to the models, but it grows with the output.
 */
export const PIPELINE_SECONDS_PER_OUTPUT_MP = 1.5;

/** One model pass over an image: what the prediction sums. */
export interface ModelPass {
  readonly modelId: string;
  readonly width: number;
  readonly height: number;
  /** The kept tile (input pixels); the model's context is added around it. */
  readonly tile: number;
}

/** What a prediction says, with the parts it adds up. */
export interface CostPrediction {
  readonly seconds: number;
  readonly provider: string;
  /** Whether a calibration for this provider was used (otherwise the reference figures). */
  readonly calibrated: boolean;
  readonly passes: readonly { readonly modelId: string; readonly megapixels: number; readonly seconds: number }[];
}

/** Input pixels a pass sends to the model: every window, context included. */
export function passPixels(pass: ModelPass): number {
  const context = modelFacts().byId(pass.modelId).context;
  const layout = createTileLayout({ width: pass.width, height: pass.height, tile: pass.tile, context, scale: 1 });
  return layout.columns.length * layout.tileWidth * layout.rows.length * layout.tileHeight;
}

/**
 * Predicts the seconds of model passes plus the pipeline's work on `outputPixels`.
 * @example predictCost([{ modelId: "realesrgan-x4plus", width: 512, height: 512, tile: 512 }], 2048 * 2048, "cpu", UNCALIBRATED).seconds // ≈ 31
 */
export function predictCost(passes: readonly ModelPass[], outputPixels: number, provider: string, calibration: Calibration): CostPrediction {
  const factor = calibration.factors[provider];
  const scale = factor !== undefined && factor > 0 ? factor : 1;
  const detailed = passes.map((pass) => {
    const megapixels = passPixels(pass) / 1e6;
    const seconds = megapixels * modelFacts().byId(pass.modelId).cost(provider).secondsPerInputMegapixel * scale;
    return { modelId: pass.modelId, megapixels, seconds };
  });
  const pipeline = (outputPixels / 1e6) * PIPELINE_SECONDS_PER_OUTPUT_MP * scale;
  return {
    seconds: detailed.reduce((sum, pass) => sum + pass.seconds, pipeline),
    provider,
    calibrated: factor !== undefined,
    passes: detailed,
  };
}

/**
 * The model passes of a portrait run: an optional clean-up (esrgan-thick ×2 then back to the
 * input size), then per pass the fidelity model reaching the pass's scale and the detail model.
 */
export function portraitPasses(settings: JobSettings, width: number, height: number, tile: number): ModelPass[] {
  const facts = modelFacts();
  const passes: ModelPass[] = [];
  if (settings.cleanup) passes.push({ modelId: facts.reaching(settings.models.fidelity, 2).id, width, height, tile });
  const scales = settings.twoPass && settings.scale >= 4 ? [2, settings.scale / 2] : [settings.scale];
  let w = width;
  let h = height;
  for (const scale of scales) {
    passes.push({ modelId: facts.reaching(settings.models.fidelity, scale).id, width: w, height: h, tile });
    if (settings.models.detail) passes.push({ modelId: facts.forChoice(settings.models.detail, 4).id, width: w, height: h, tile });
    w = Math.round(w * scale);
    h = Math.round(h * scale);
  }
  return passes;
}

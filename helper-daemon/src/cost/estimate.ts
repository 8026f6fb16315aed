/**
 * The prediction for one upscale request: which models run over how many pixels with the
 * tiles the run will use, on the provider that will run them.
 */
import type { Estimate } from "@portrait-upscale/shared";
import { modelTiles, portraitTiles } from "../upscale/memory-plan";
import { planModel, type UpscaleSettings } from "../upscale/settings";
import { plannedPass, portraitPasses, predictCost, type Calibration, type CostPrediction } from "./cost-model";

/**
 * Predicts an upscale of a `width`×`height` image with `settings` on `provider`.
 * @example estimateUpscale(parseUpscaleSettings({ model: "x4plus" }), 512, 512, "cpu", UNCALIBRATED).seconds // ≈ 31
 */
export function estimateUpscale(settings: UpscaleSettings, width: number, height: number, provider: string, calibration: Calibration): CostPrediction {
  const outputPixels = Math.round(width * settings.scale) * Math.round(height * settings.scale);
  const image = { width, height };
  if (settings.portrait) {
    // The tiles the job itself will get: all its sessions and image buffers within the budget.
    const tiles = portraitTiles({ ...settings, portrait: settings.portrait }, image, provider);
    return predictCost(portraitPasses(settings.portrait, width, height, tiles), outputPixels, provider, calibration);
  }
  const plan = planModel(settings);
  return predictCost([plannedPass(plan.modelId, width, height, modelTiles(plan, image, settings, provider))], outputPixels, provider, calibration);
}

/** A prediction as the protocol carries it (`GET /v1/estimate`, the `estimated` message), seconds to 0.1. */
export function protocolEstimate(prediction: CostPrediction, device: number): Estimate {
  const tenths = (seconds: number): number => Math.round(seconds * 10) / 10;
  return {
    seconds: tenths(prediction.seconds),
    provider: prediction.provider,
    device,
    calibrated: prediction.calibrated,
    models: prediction.passes.map((pass) => ({ id: pass.modelId, megapixels: Math.round(pass.megapixels * 1000) / 1000, seconds: tenths(pass.seconds) })),
  };
}

/**
 * Cost prediction: the calibrated cost model, the per-machine calibration, and the
 * prediction for one upscale request.
 */
export { ASSUMED_FACES, describeDuration, FACES_ONLY_SHARE, faceRestorePass, passPixels, portraitPasses, predictCost, pricePass, PIPELINE_SECONDS_PER_OUTPUT_MP, routedCostRatio, UNCALIBRATED, UNPLANNED, withPlannedPass } from "./cost-model";
export type { Calibration, CostPrediction, ModelPass, PricedPass, RoutedRun } from "./cost-model";
export { calibrationFile, calibrationKey, deviceCalibration, measureCalibration, parseCalibration, readCalibration, writeCalibration } from "./calibration";
export { estimateUpscale, protocolEstimate } from "./estimate";

import sharp from "sharp";
import type { UpscaleSettings } from "../upscale/settings";
import { deviceCalibration, readCalibration } from "./calibration";
import type { CostPrediction } from "./cost-model";
import { estimateUpscale } from "./estimate";

/**
 * The prediction for upscaling the image file at `path` on `device` of `provider`, from its
 * header alone; undefined when the header cannot be read (the run itself then reports the
 * problem with its code).
 */
export async function estimateFile(path: string, settings: UpscaleSettings, provider: string, device: number, configDir: string): Promise<CostPrediction | undefined> {
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(path).metadata());
  } catch {
    return undefined;
  }
  if (!width || !height) return undefined;
  return estimateUpscale(settings, width, height, provider, deviceCalibration(await readCalibration(configDir), provider, device));
}

/**
 * The portrait pipeline's public API: face detection, region masks, the branch blend and
 * the whole pipeline. The daemon calls `runPortraitPipeline(image, settings, poolPortraitDeps(pool))`.
 */
export { poolDetector, poolPortraitDeps } from "./detector";
export { DETECTOR_INPUT_SIZE, detectFaces, type DetectOptions, type DetectorModelId, type Face, type FaceKeypoints, type Point, type RunDetector } from "./faces";
export { REGIONS, faceRegionRect, regionFactorMap, regionMask, type MaskName, type Region, type RegionFactors } from "./masks";
export { BLEND_TUNING, agreementGate, blendBranches, type BlendResult, type BlendSettings } from "./blend";
export {
  PORTRAIT_SCALES,
  runPortraitPipeline,
  type PortraitDeps,
  type PortraitNote,
  type PortraitResult,
  type PortraitSettings,
  type PortraitStage,
} from "./pipeline";

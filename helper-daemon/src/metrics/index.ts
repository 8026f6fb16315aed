export {
  bandingCount,
  detailCorrelation,
  halo,
  meanDeltaE,
  measureQuality,
  psnrRgb,
  psnrY,
  regionOf,
  ssimY,
  textureRatio,
  type MetricOptions,
  type QualityReport,
  type Rect,
} from "./quality";
export { ciede2000, toLab } from "./colour";

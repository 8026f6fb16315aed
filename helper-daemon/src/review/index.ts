/**
 * The automatic 100 % review of an upscaled portrait: per face, the eyes, nose bridge, lips
 * and hairline scored for halo, texture, colour shift and banding, the skin for banding and
 * mottling, with advice, written as
 * review.json and a contact sheet (review.png).
 */
export { NO_FACE_ADVICE, RERUN_ADVICE, adviceFor, areaLabel, reviewSettingsOf, settingsAdvice, smallFaceAdvice } from "./advice";
export type { Deviation, ReviewArea, ReviewMetric, ReviewSettings } from "./advice";
export { buildReview, toProtocolReport } from "./build-review";
export type { ReviewCheck, ReviewFaceReport, ReviewInput, ReviewRegionReport, ReviewReport } from "./build-review";
export { CROP_HALF_HEIGHT, CROP_HALF_WIDTH, MAX_CROP_FACES, PANEL_HEIGHT, PANEL_WIDTH, contactSheetSize, renderContactSheet, renderRegionCrops } from "./contact-sheet";
export type { ContactSheetImages, ContactSheetOptions, RegionCrop, SourceKernel } from "./contact-sheet";
export { REVIEW_REGIONS, faceReviewRegions, scaleRect } from "./regions";
export type { PixelRect, ReviewRegionName } from "./regions";
export { runReview } from "./run-review";
export type { ReviewOutcome, RunReviewOptions } from "./run-review";
export { haloAgainstSource, scoreRegion } from "./scores";
export type { ComparisonKind, RegionScores, ScoreImages } from "./scores";
export * from "./thresholds";
export { REVIEW_JSON, REVIEW_PNG, writeReview } from "./write-review";
export type { WrittenReview } from "./write-review";

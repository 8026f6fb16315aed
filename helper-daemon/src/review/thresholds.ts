import { SMALL_FACE_PX_AT_4X } from "../portrait/small-face";
import type { ScoreName } from "./scores";

/**
 * The limits the automatic review checks against, each with where it comes from. Kept in
 * one place so the JSON report can echo them and a retoucher can see what "warn" meant.
 */

/*
 * Where a limit says "the labelled set", it was chosen on the review's labelled set
 * (bench/review-set.ts, printed by `npm run bench:quality`): 56 upscales of the README's
 * sample (2×), of the astronaut and camera portraits reduced 4×, and of the astronaut reduced
 * 4× through JPEG q70 — 32 good (Lanczos-3, the fidelity model, every built-in preset) and 24
 * with one known flaw. The ranges quoted are the most extreme region of each sample.
 */

/**
 * Texture ratio against the source, two source pixels below its finest detail (scores.ts).
 * Minimum from the full labelled set (eight sources, weighted by the regions' masks, the
 * lowest feature of each sample): good results 0.950–0.99, plastic skin (denoised before
 * upscaling) 0.81–0.925; 0.935 is near their geometric midpoint (0.937), 1 % above the
 * highest plastic result. Old Photo's clean-up pass is a denoise before upscaling by design
 * (for JPEG sources, at 2×): at 2× it passes (0.95), at 4× it scores 0.91–0.93 and is
 * flagged, fairly. Maximum: about 1, because a
 * result reduced to the source's size cannot carry more texture in that band than the
 * source itself unless it was sharpened (good results reach 0.99, over-sharpened ones
 * 0.97–1.02, which the added-detail check catches); 2 % above 1 so that an exact enlargement
 * (ratio 1 up to rounding) passes.
 */
export const TEXTURE_RATIO_MIN = 0.935;
export const TEXTURE_RATIO_MAX = 1.02;

/**
 * Added detail ÷ what the source's own finest octave supports (source-detail.ts). From the
 * labelled set: good results 0–0.55 (the presets at their settings included), the raw detail
 * model and over-sharpened results 0.56–1.02 (mask-weighted, --quick set); 0.62 is kept from
 * the larger rectangle-scored set (good up to 0.59), so a mildly over-sharpened 4× result
 * at 0.56 passes.
 */
export const ADDED_DETAIL_MAX = 0.62;

/**
 * Halo: mean overshoot (luma, 0..1) beyond the source's local range beside strong edges.
 * 0.02 is about 5 of 255 levels on average along an edge: a fringe that is visible at 100 %
 * on a nose bridge or lash line. The labelled set agrees (scores weighted by the regions'
 * masks, --quick set): good results 0–0.004, haloed ones 0.032–0.063.
 */
export const HALO_MAX = 0.02;

/**
 * Colour shift: mean CIEDE2000 after a light blur. ΔE00 ≈ 1 is one just-noticeable
 * difference side by side; 2 is where a changed skin tone starts to show in a single view
 * (the guide's "a changed skin tone"). The labelled set: good results 0.10–0.63, a 5 % warm
 * cast 3.4 (mask-weighted, --quick set; the raw detail model drifts by 2–3 and is flagged).
 */
export const DELTA_E_MAX = 2;

/**
 * Banding: flat steps inside smooth gradients that the source does not have, per 100 scanned
 * lines (rows plus columns) of the region. A step must be at least 1.5 of 255 levels so
 * plain 8-bit rounding of a smooth ramp (one-level steps) never counts. The full labelled
 * set (its regions' highest, features and skin, mask-weighted): good results 0, posterised
 * ones (24 levels) 7.5–705; 1 is one new contour per 100 lines.
 */
export const BANDING_MAX = 1;
/** The smallest step (0..1) counted as a band: 1.5 of 255 levels, above plain 8-bit rounding. */
export const BANDING_STEP = 1.5 / 255;
/** Flat output pixels needed on both sides of a step for it to count as a band. */
export const BANDING_MIN_RUN_PX = 6;
/**
 * Output pixels the contour between two flat runs may take. On a small face's shading a
 * posterised band is often only 2–5 result pixels wide, and the models' texture flickers
 * across each contour between its two levels, so few steps have six flat pixels right beside
 * them: the astronaut reduced 4×, its default-preset result posterised to 24 levels, scored 0
 * in every region without a gap. Two less than the run: where plain 8-bit rounding of a
 * gradient holds luma flat for a run, each channel holds each level for at least the run
 * less one, so across so short a gap each channel moves at most one level and luma at most
 * one level, under {@link BANDING_STEP}.
 */
export const BANDING_MAX_GAP_PX = BANDING_MIN_RUN_PX - 2;

/**
 * A face narrower than `SMALL_FACE_PX_AT_4X × scale / 4` in the source is small for the
 * result (portrait/small-face.ts: the guide's "under 300 px" tier, which it states for 4×).
 */
export { SMALL_FACE_PX_AT_4X } from "../portrait/small-face";

/** Above this creativity features start to change (the guide: "above ~0.6"). */
export const CREATIVITY_FEATURE_CHANGE = 0.6;

/** Scales above this are more the models' guess than recovery (the guide's 6× and 8× warning). */
export const SPECULATIVE_SCALE = 4;

/** The step the guide recommends for creativity and resemblance after a failed review. */
export const SETTING_STEP = 0.05;

/**
 * Faces reviewed at most: 4 features × 5 metrics plus the skin's banding and mottling (22
 * checks a face) stay within the protocol's 256 checks;
 * a group photo beyond this is reviewed on its highest-scoring faces.
 */
export const MAX_REVIEWED_FACES = 11;

/**
 * Without a face the whole image is scored, up to this many output pixels; a larger result
 * is scored on its centre (the scores need several float copies of what they measure).
 */
export const WHOLE_IMAGE_MAX_OUTPUT_PX = 2048 * 2048;

/**
 * Mottling: blotches of 2–6 source pixels on the skin that the source does not have, RMS in
 * 8-bit luma levels (mottling.ts). From the labelled set (bench:quality --review-only
 * --quick): good results 0–1.09 (the highest: Film Scan's kept grain on the README's sample,
 * 1.08 at 2× and 1.09 at 4×; every other good result 0.48 at most), results with other flaws
 * up to 1.06 (plastic skin, denoised first), the blotchy degradation (3 % multiplicative
 * blotches) 1.49–2.33; 1.27 is the geometric midpoint of 1.09 and 1.49, 17 % from each.
 * On the full set (eight sources) the camera portrait's blotches at 4× score 1.14 and
 * pass (the set's best would be 1.11, 2 % above Film Scan's own result).
 */
export const MOTTLING_MAX = 1.27;

/** A score's limits: flagged above `max`, and below `min` when it has one. */
export function scoreLimits(score: ScoreName): { readonly min?: number; readonly max: number } {
  switch (score) {
    case "halo":
      return { max: HALO_MAX };
    case "textureRatio":
      return { min: TEXTURE_RATIO_MIN, max: TEXTURE_RATIO_MAX };
    case "addedDetail":
      return { max: ADDED_DETAIL_MAX };
    case "deltaE":
      return { max: DELTA_E_MAX };
    case "banding":
      return { max: BANDING_MAX };
    case "mottling":
      return { max: MOTTLING_MAX };
  }
}

/** Every limit, as echoed in review.json. */
export const REVIEW_THRESHOLDS = Object.freeze({
  textureRatio: Object.freeze({ min: TEXTURE_RATIO_MIN, max: TEXTURE_RATIO_MAX }),
  addedDetail: Object.freeze({ max: ADDED_DETAIL_MAX }),
  halo: Object.freeze({ max: HALO_MAX }),
  deltaE: Object.freeze({ max: DELTA_E_MAX }),
  banding: Object.freeze({ max: BANDING_MAX }),
  mottling: Object.freeze({ max: MOTTLING_MAX }),
  smallFacePxAt4x: SMALL_FACE_PX_AT_4X,
});

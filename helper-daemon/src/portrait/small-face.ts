/**
 * When a face is too small in the source for the result asked of it. The portrait guide's
 * source tiers are stated for 4× work ("Face 750 px and up: print quality at 4× is
 * realistic"; "under 300 px … not face reconstruction"), so at 4× a face needs 300 source
 * pixels; a smaller scale asks proportionally less of it (300·scale/4, i.e. 75 source
 * pixels per unit of scale). A 205 px face is fine at 2× (needs 150) and small at 4×.
 */

/** The guide's "under 300 px is not reconstruction" limit, which its tiers state for 4×. */
export const SMALL_FACE_PX_AT_4X = 300;

/**
 * The narrowest face (source pixels) that supports a `scale`× result.
 *
 * @example smallFaceLimitPx(2) // 150
 */
export function smallFaceLimitPx(scale: number): number {
  return (SMALL_FACE_PX_AT_4X * scale) / 4;
}

/**
 * True when a face `widthPx` wide in the source is small for a `scale`× result.
 *
 * @example isSmallFaceFor(205, 2) // false; isSmallFaceFor(205, 4) // true
 */
export function isSmallFaceFor(widthPx: number, scale: number): boolean {
  return widthPx < smallFaceLimitPx(scale);
}

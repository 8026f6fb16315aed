/**
 * What a 2× portrait run holds that grows with the image, and the projection of a measured
 * peak to a larger image. The rest of the peak (the process, the model sessions and their
 * largest tile, one pass window's planes) does not grow with the image. The buffers themselves
 * are the tile planner's facts (tiling/image-memory.ts), so the bench and the budget agree.
 */

/** A measured peak: resident bytes of a run on `megapixels` of input. */
export interface PeakSample {
  readonly megapixels: number;
  readonly peakBytes: number;
}

/**
 * The peak at `targetMegapixels`: the fixed part from `anchor` (a run whose peak includes the
 * model's largest tile) plus the growth per input megapixel measured between two runs of the
 * same layout (`slopeFrom`, the smaller first). The growth is never taken below zero.
 * @example projectPeak({ megapixels: 1, peakBytes: 3e9 }, [{ megapixels: 1, peakBytes: 1e9 }, { megapixels: 4, peakBytes: 1.3e9 }], 24) // 3e9 + 23 × 1e8
 */
export function projectPeak(anchor: PeakSample, slopeFrom: readonly [PeakSample, PeakSample], targetMegapixels: number): { readonly bytes: number; readonly bytesPerMegapixel: number } {
  const [a, b] = slopeFrom;
  if (!(b.megapixels > a.megapixels)) throw new Error("projectPeak needs two runs of increasing size");
  const bytesPerMegapixel = Math.max(0, (b.peakBytes - a.peakBytes) / (b.megapixels - a.megapixels));
  return { bytes: anchor.peakBytes + bytesPerMegapixel * (targetMegapixels - anchor.megapixels), bytesPerMegapixel };
}

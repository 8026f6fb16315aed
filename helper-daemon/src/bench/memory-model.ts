/**
 * What a 2× portrait run holds that grows with the image, and the projection of a measured
 * peak to a larger image. The rest of the peak (the process, the model sessions and their
 * largest tile, one pass window's planes) does not grow with the image.
 */

/** One buffer that grows with the image: bytes per input pixel. */
export interface ImageSizedBuffer {
  readonly name: string;
  readonly bytesPerInputPixel: number;
}

/** The output's samples: channels and bit depth of the file written. */
export interface OutputLayout {
  readonly channels: number;
  readonly bitDepth: 8 | 16;
}

/**
 * The buffers of a `scale`× portrait run that grow with the image, largest first as the code
 * holds them: the decoded source (interleaved samples, then planar float), its luma (routing),
 * and the result, kept in its final bit depth (`sinkOutput`) or, as before, as planar float
 * plus the encoder's interleaved copy.
 * @example imageSizedBuffers({ channels: 3, bitDepth: 8 }, 2, true) // source float 12 B, result samples 12 B, …
 */
export function imageSizedBuffers(output: OutputLayout, scale: number, sinkOutput: boolean): ImageSizedBuffer[] {
  const outPerIn = scale * scale;
  const sampleBytes = output.channels * (output.bitDepth / 8);
  const buffers: ImageSizedBuffer[] = [
    { name: "decoded source samples (sharp, interleaved)", bytesPerInputPixel: sampleBytes },
    { name: "source as planar float RGB", bytesPerInputPixel: 12 },
    { name: "source luma (routing)", bytesPerInputPixel: 4 },
  ];
  if (sinkOutput) buffers.push({ name: `result in its final samples (${output.bitDepth}-bit, ${output.channels} channels)`, bytesPerInputPixel: sampleBytes * outPerIn });
  else {
    buffers.push({ name: "result as planar float RGB", bytesPerInputPixel: 12 * outPerIn });
    buffers.push({ name: "encoder's interleaved copy of the result", bytesPerInputPixel: sampleBytes * outPerIn });
  }
  return buffers;
}

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

import { describe, expect, it } from "vitest";
import { projectPeak } from "./memory-model";
import { imageSizedBuffers } from "../tiling/image-memory";

const GB = 1024 ** 3;

describe("the memory projection", () => {
  it("adds the measured growth per megapixel to the anchor's peak", () => {
    const projected = projectPeak({ megapixels: 1, peakBytes: 3 * GB }, [{ megapixels: 1, peakBytes: 1 * GB }, { megapixels: 4, peakBytes: 1.3 * GB }], 24);
    expect(projected.bytesPerMegapixel).toBeCloseTo((0.3 * GB) / 3, 0);
    expect(projected.bytes).toBeCloseTo(3 * GB + 23 * ((0.3 * GB) / 3), 0);
  });

  it("never projects shrinking memory, and refuses runs that do not grow in size", () => {
    expect(projectPeak({ megapixels: 1, peakBytes: 2 * GB }, [{ megapixels: 1, peakBytes: 1 * GB }, { megapixels: 4, peakBytes: 0.9 * GB }], 24).bytes).toBe(2 * GB);
    expect(() => projectPeak({ megapixels: 1, peakBytes: GB }, [{ megapixels: 4, peakBytes: GB }, { megapixels: 1, peakBytes: GB }], 24)).toThrow();
  });

  it.each([
    // 2× to 8-bit RGB: 3 + 12 + 4 source bytes, then 4 × 3 result bytes (before: 4 × 12 float + 4 × 3 copy).
    [{ channels: 3, bitDepth: 8 } as const, true, 3 + 12 + 4 + 12],
    [{ channels: 3, bitDepth: 8 } as const, false, 3 + 12 + 4 + 48 + 12],
    [{ channels: 4, bitDepth: 16 } as const, true, 8 + 12 + 4 + 32],
  ])("bytes per input pixel at 2× (%o, sink %s): %i", (layout, sink, total) => {
    expect(imageSizedBuffers(layout, 2, sink).reduce((sum, buffer) => sum + buffer.bytesPerInputPixel, 0)).toBe(total);
  });

  it("the result in 8-bit samples saves 1.15 GB of float and the encoder's 288 MB copy at 24 MP ×2", () => {
    const total = (sink: boolean) => imageSizedBuffers({ channels: 3, bitDepth: 8 }, 2, sink).reduce((sum, buffer) => sum + buffer.bytesPerInputPixel, 0) * 24e6;
    expect(total(false) - total(true)).toBe(24e6 * 4 * 12);
  });
});

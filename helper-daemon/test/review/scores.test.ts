import { describe, expect, it } from "vitest";
import { mapChannels } from "../../src/image/plane";
import { gaussianBlur } from "../../src/image/filters";
import { resampleImage } from "../../src/image/resample";
import type { RgbImage } from "../../src/image/image";
import { scoreRegion } from "../../src/review/scores";
import { ADDED_DETAIL_MAX, BANDING_MAX, DELTA_E_MAX, HALO_MAX, TEXTURE_RATIO_MAX, TEXTURE_RATIO_MIN } from "../../src/review/thresholds";
import { enlargeNearest, imageOf, mapPixels, noise, skin } from "./support";

const region = { x: 8, y: 8, width: 16, height: 16 };

describe("halo", () => {
  // A grey step edge at x = 16 in a 32² source, enlarged 2×.
  const source = imageOf(32, 32, (x) => (x < 16 ? [0.2, 0.2, 0.2] : [0.8, 0.8, 0.8]));
  const clean = enlargeNearest(source, 2);
  // Ringing: two output pixels each side of the edge pushed 0.1 beyond the plateaus.
  const ringing = mapPixels(clean, ([r, g, b], x) => {
    const d = x === 30 || x === 31 ? -0.1 : x === 32 || x === 33 ? 0.1 : 0;
    return [r + d, g + d, b + d];
  });

  it("is zero for an edge enlarged without overshoot, against the source", () => {
    expect(scoreRegion({ source, result: clean }, region, 2).halo).toBe(0);
  });

  it("measures the overshoot of a ringing edge, against the source", () => {
    // 4 of the 8 output columns beside the edge overshoot by 0.1 (luma).
    expect(scoreRegion({ source, result: ringing }, region, 2).halo).toBeCloseTo(0.05, 4);
    expect(scoreRegion({ source, result: ringing }, region, 2).halo).toBeGreaterThan(HALO_MAX);
  });

  it("compares with a reference image at the output size when given", () => {
    expect(scoreRegion({ source, result: clean, comparison: clean }, region, 2).halo).toBe(0);
    expect(scoreRegion({ source, result: ringing, comparison: clean }, region, 2).halo).toBeGreaterThan(HALO_MAX);
  });
});

describe("colour shift (ΔE)", () => {
  const source = skin(32, 32);
  const same = enlargeNearest(source, 2);
  const warmer = mapPixels(same, ([r, g, b]) => [r + 0.04, g, b - 0.03]);

  it("is about zero for the same tones", () => {
    expect(scoreRegion({ source, result: same }, region, 2).deltaE).toBeLessThan(0.01);
    expect(scoreRegion({ source, result: same, comparison: same }, region, 2).deltaE).toBe(0);
  });

  it("rises above the limit for a tone shift, against the source and against a reference image", () => {
    const againstSource = scoreRegion({ source, result: warmer }, region, 2).deltaE;
    const againstFidelity = scoreRegion({ source, result: warmer, comparison: same }, region, 2).deltaE;
    expect(againstSource).toBeGreaterThan(DELTA_E_MAX);
    expect(againstFidelity).toBeGreaterThan(DELTA_E_MAX);
    expect(againstFidelity).toBeCloseTo(againstSource!, 1);
  });
});

describe("texture ratio", () => {
  const source = imageOf(32, 32, (x, y) => {
    const v = 0.5 + 0.1 * noise(x, y);
    return [v, v, v];
  });
  const textured = enlargeNearest(source, 2);
  const flat = imageOf(64, 64, () => [0.5, 0.5, 0.5]);

  it("is 1 when the result keeps the source's texture exactly", () => {
    expect(scoreRegion({ source, result: textured }, region, 2).textureRatio).toBeCloseTo(1, 5);
  });

  it("is 0 for a flat (plastic) result", () => {
    expect(scoreRegion({ source, result: flat }, region, 2).textureRatio).toBe(0);
  });

  it("against a reference image: low when smoothed, high with invented noise", () => {
    const smoothed = mapChannels(textured, (p) => gaussianBlur(p, 2));
    const invented = mapPixels(textured, ([r, g, b], x, y) => {
      const n = 0.15 * noise(x + 1000, y);
      return [r + n, g + n, b + n];
    });
    expect(scoreRegion({ source, result: textured, comparison: textured }, region, 2).textureRatio).toBe(1);
    expect(scoreRegion({ source, result: smoothed, comparison: textured }, region, 2).textureRatio).toBeLessThan(TEXTURE_RATIO_MIN);
    expect(scoreRegion({ source, result: invented, comparison: textured }, region, 2).textureRatio).toBeGreaterThan(TEXTURE_RATIO_MAX);
  });

  it("is capped, not infinite, when the comparison is flat", () => {
    expect(scoreRegion({ source, result: textured, comparison: flat }, region, 2).textureRatio).toBe(99);
  });
});

describe("banding", () => {
  // A smooth shadow gradient along x.
  const source = imageOf(32, 32, (x) => {
    const v = 0.1 + (0.1 * x) / 32;
    return [v, v, v];
  });
  const smooth = imageOf(64, 64, (x) => {
    const v = 0.1 + (0.1 * (x + 0.5)) / 64;
    return [v, v, v];
  });
  // The same gradient flattened into steps of 4 levels, 10 pixels apart.
  const posterised = mapPixels(smooth, (rgb) => rgb.map((v) => Math.round((v * 255) / 4) * (4 / 255)) as [number, number, number]);

  it("is zero for a smooth gradient, and for plain 8-bit rounding of it", () => {
    const rounded = mapPixels(smooth, (rgb) => rgb.map((v) => Math.round(v * 255) / 255) as [number, number, number]);
    expect(scoreRegion({ source, result: smooth }, region, 2).banding).toBe(0);
    expect(scoreRegion({ source, result: rounded }, region, 2).banding).toBe(0);
  });

  it("is zero for plain 8-bit rounding of gentle colour ramps, whose levels a contour may skip", () => {
    // Each channel climbs at its own slope (1/5 to 1/40 of a level per pixel): every luma
    // plateau is bounded by one channel's one-level step, often a few pixels from the next.
    for (const [r, g, b] of [
      [1 / 5, 1 / 7, 1 / 11],
      [1 / 6, 1 / 9, 1 / 40],
      [1 / 13, 1 / 5, 1 / 8],
    ]) {
      const level = (x: number, y: number, slope: number): number => Math.round(40 + slope * (x + y / 3)) / 255;
      const rounded = imageOf(64, 64, (x, y) => [level(x, y, r), level(x, y, g), level(x, y, b)]);
      expect(scoreRegion({ source, result: rounded }, region, 2).banding).toBe(0);
    }
  });

  it("counts the steps of a posterised gradient per 100 scanned lines", () => {
    const banding = scoreRegion({ source, result: posterised }, region, 2).banding;
    expect(banding).toBeGreaterThan(BANDING_MAX);
    expect(scoreRegion({ source, result: posterised, comparison: smooth }, region, 2).banding).toBe(banding);
  });
});

describe("added detail", () => {
  const source = imageOf(32, 32, (x, y) => {
    const v = 0.5 + 0.1 * noise(x, y);
    return [v, v, v];
  });
  const enlarged = resampleImage(source, { width: 64, height: 64, filter: "lanczos3" });

  it("is 0 for a plain Lanczos enlargement: nothing added beyond the source", () => {
    expect(scoreRegion({ source, result: enlarged }, region, 2).addedDetail).toBeCloseTo(0, 3);
  });

  it("grows with texture painted on top, past the limit when it outweighs the source's own", () => {
    const paint = (amount: number): RgbImage =>
      mapPixels(enlarged, ([r, g, b], x, y) => {
        const n = amount * noise(x + 1000, y);
        return [r + n, g + n, b + n];
      });
    const light = scoreRegion({ source, result: paint(0.02) }, region, 2).addedDetail;
    const heavy = scoreRegion({ source, result: paint(0.3) }, region, 2).addedDetail;
    expect(light).toBeLessThan(ADDED_DETAIL_MAX);
    expect(heavy).toBeGreaterThan(ADDED_DETAIL_MAX);
    expect(heavy).toBeGreaterThan(10 * light!);
  });

  it("is measured against the source even when a reference is given", () => {
    expect(scoreRegion({ source, result: enlarged, comparison: enlargeNearest(source, 2) }, region, 2).addedDetail).toBeCloseTo(0, 3);
  });
});

describe("scores weighted by the region's feathered mask", () => {
  const source = skin(32, 32);
  const same = enlargeNearest(source, 2);
  // A colour blotch on the region rectangle's left half only (result pixels 16..31 ↔ source 8..15).
  const blotched = mapPixels(same, ([r, g, b], x) => (x < 32 ? [r + 0.06, g, b - 0.05] : [r, g, b]));
  /** 1 on source columns from `x0` on, 0 before: a mask whose feature is the rectangle's right half. */
  const rightOf = (x0: number) => ({ width: 32, height: 32, data: Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 32 >= x0 ? 1 : 0)) });

  it("leaves a blotch outside the mask out of ΔE, and a full mask changes nothing", () => {
    const rectangle = scoreRegion({ source, result: blotched }, region, 2).deltaE;
    expect(rectangle).toBeGreaterThan(DELTA_E_MAX);
    expect(scoreRegion({ source, result: blotched }, region, 2, rightOf(0)).deltaE).toBeCloseTo(rectangle!, 6);
    // The right half (source columns 16..23) is untouched; the light ΔE blur reaches 3 px into it.
    expect(scoreRegion({ source, result: blotched }, region, 2, rightOf(20)).deltaE).toBeLessThan(0.01);
  });

  it("is the mean of the two halves weighted by the mask, as computed by hand", () => {
    const left = scoreRegion({ source, result: blotched }, { x: 8, y: 8, width: 8, height: 16 }, 2).deltaE;
    const right = scoreRegion({ source, result: blotched }, { x: 16, y: 8, width: 8, height: 16 }, 2).deltaE;
    const halfWeight = { width: 32, height: 32, data: Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 32 >= 16 ? 1 : 0.5)) };
    expect(scoreRegion({ source, result: blotched }, region, 2, halfWeight).deltaE).toBeCloseTo((0.5 * left! + right!) / 1.5, 5);
  });
});

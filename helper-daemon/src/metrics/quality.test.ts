import { describe, expect, it } from "vitest";
import type { RgbImage } from "../image/image";
import {
  bandingCount,
  detailCorrelation,
  halo,
  meanDeltaE,
  psnrRgb,
  psnrY,
  ssimY,
  textureRatio,
} from "./quality";
import { ciede2000 } from "./colour";

/** An image whose three channels are all `f(x, y)`. */
function grey(width: number, height: number, f: (x: number, y: number) => number): RgbImage {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[c * n + y * width + x] = f(x, y);
  return { width, height, rgb };
}

/** Deterministic texture: a sum of incommensurate sines. */
const texture = (x: number, y: number): number => 0.5 + 0.2 * Math.sin(x * 1.7 + y * 0.3) * Math.cos(y * 1.3 - x * 0.2);

describe("PSNR", () => {
  it("is 20 dB for a uniform error of 0.1 and Infinity for identical images", () => {
    const a = grey(16, 16, () => 0.5);
    const b = grey(16, 16, () => 0.6);
    expect(psnrRgb(a, b)).toBeCloseTo(20, 4);
    expect(psnrY(a, b)).toBeCloseTo(20, 4);
    expect(psnrRgb(a, a)).toBe(Infinity);
  });

  it("measures only the region and ignores the border", () => {
    const a = grey(16, 16, () => 0.5);
    const b = grey(16, 16, (x) => (x < 2 ? 0 : 0.6));
    expect(psnrRgb(a, b, { border: 2 })).toBeCloseTo(20, 4);
    expect(psnrY(a, b, { region: { x: 4, y: 4, width: 8, height: 8 } })).toBeCloseTo(20, 4);
  });

  it("refuses images of different sizes with INVALID_OPTION", () => {
    expect(() => psnrRgb(grey(4, 4, () => 0), grey(5, 4, () => 0))).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });
});

describe("SSIM", () => {
  it("is 1 for identical images and falls when texture is flattened", () => {
    const a = grey(32, 32, texture);
    expect(ssimY(a, a)).toBeCloseTo(1, 6);
    const flat = grey(32, 32, () => 0.5);
    expect(ssimY(flat, a)).toBeLessThan(0.1);
  });
});

describe("texture ratio and detail correlation", () => {
  const reference = grey(32, 32, texture);
  const halved = grey(32, 32, (x, y) => 0.5 + 0.5 * (texture(x, y) - 0.5));
  const inverted = grey(32, 32, (x, y) => 1 - texture(x, y));

  it("texture ratio is the Laplacian RMS ratio: 0.5 for halved contrast, 1 for the same", () => {
    expect(textureRatio(halved, reference)).toBeCloseTo(0.5, 5);
    expect(textureRatio(reference, reference)).toBeCloseTo(1, 6);
  });

  it("detail correlation is 1 for the same detail at any contrast and −1 for inverted detail", () => {
    expect(detailCorrelation(halved, reference)).toBeCloseTo(1, 5);
    expect(detailCorrelation(inverted, reference)).toBeCloseTo(-1, 5);
  });
});

describe("halo", () => {
  const edge = grey(32, 32, (x) => (x < 16 ? 0.2 : 0.8));
  it("is 0 without overshoot and equals the overshoot's share near edges with it", () => {
    expect(halo(edge, edge)).toBe(0);
    // A bright fringe of 0.1 in the column right of the step.
    const ringing = grey(32, 32, (x) => (x < 16 ? 0.2 : x === 16 ? 0.9 : 0.8));
    const h = halo(ringing, edge);
    // Edge pixels: gradient at x = 15, 16; near-edge band: x = 13..18 (6 columns), one of them over by 0.1.
    expect(h).toBeCloseTo(0.1 / 6, 5);
  });
});

describe("CIEDE2000", () => {
  it("matches Sharma, Wu and Dalal's published test pairs", () => {
    expect(ciede2000(50, 2.6772, -79.7751, 50, 0, -82.7485)).toBeCloseTo(2.0425, 4);
    expect(ciede2000(50, 0, 0, 50, -1, 2)).toBeCloseTo(2.3669, 4);
    expect(ciede2000(50, 2.5, 0, 73, 25, -18)).toBeCloseTo(27.1492, 4);
    expect(ciede2000(60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387)).toBeCloseTo(1.2644, 4);
  });

  it("mean ΔE is 0 for identical images and grows with a colour shift", () => {
    const a = grey(16, 16, texture);
    expect(meanDeltaE(a, a)).toBe(0);
    const shifted: RgbImage = { ...a, rgb: a.rgb.map((v, i) => (i < 256 ? v + 0.05 : v)) };
    expect(meanDeltaE(shifted, a)).toBeGreaterThan(1);
  });
});

describe("banding", () => {
  it("counts the steps of a coarsely quantised gradient and none in a float one", () => {
    const smooth = grey(64, 8, (x) => 0.3 + x * 0.002);
    expect(bandingCount(smooth)).toBe(0);
    // 8 levels of 1/255 over 64 px: 7 steps in each of the 8 rows.
    const quantised = grey(64, 8, (x) => 0.3 + Math.floor(x / 8) / 255);
    expect(bandingCount(quantised)).toBe(7 * 8);
  });

  it("with a gap, counts steps whose contour flickers between the two levels for a few pixels", () => {
    // Levels 4/255 apart, 12 px each; the first 3 px of each level flicker back to the one before.
    const flickering = grey(96, 8, (x, y) => {
      const level = Math.floor(x / 12);
      const back = x % 12 < 3 && level > 0 && (x + y) % 2 === 0;
      return 0.3 + ((level - (back ? 1 : 0)) * 4) / 255;
    });
    expect(bandingCount(flickering, { step: 1.5 / 255, run: 6 })).toBe(0);
    expect(bandingCount(flickering, { step: 1.5 / 255, run: 6, gap: 4 })).toBe(7 * 8);
  });
});

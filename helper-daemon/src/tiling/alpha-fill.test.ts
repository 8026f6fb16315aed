import { describe, expect, it } from "vitest";
import { fillTransparentColour, KEEP_OWN_COLOUR_ALPHA } from "./alpha-fill";

describe("fillTransparentColour", () => {
  const W = 32;
  const H = 20;
  const plane = W * H;

  /** A red block on the left (opaque), a half-transparent red column at its edge, black transparent elsewhere. */
  function scene(): { rgb: Float32Array; alpha: Float32Array } {
    const rgb = new Float32Array(3 * plane);
    const alpha = new Float32Array(plane);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < 10; x++) {
        rgb[y * W + x] = 0.9;
        rgb[plane + y * W + x] = 0.2;
        rgb[2 * plane + y * W + x] = 0.1;
        alpha[y * W + x] = 1;
      }
      alpha[y * W + 10] = 0.5;
      rgb[y * W + 10] = 0.9;
      rgb[plane + y * W + 10] = 0.2;
      rgb[2 * plane + y * W + 10] = 0.1;
    }
    return { rgb, alpha };
  }

  it("gives transparent pixels the colour of nearby opaque content", () => {
    const { rgb, alpha } = scene();
    const filled = fillTransparentColour(rgb, alpha, W, H);
    for (const x of [12, 20, 31]) {
      const i = 10 * W + x;
      expect(filled[i]).toBeCloseTo(0.9, 5);
      expect(filled[plane + i]).toBeCloseTo(0.2, 5);
      expect(filled[2 * plane + i]).toBeCloseTo(0.1, 5);
    }
  });

  it(`keeps pixels with alpha ≥ ${KEEP_OWN_COLOUR_ALPHA} exactly and does not modify its input`, () => {
    const { rgb, alpha } = scene();
    const before = Array.from(rgb);
    const filled = fillTransparentColour(rgb, alpha, W, H);
    expect(Array.from(rgb)).toEqual(before);
    for (let i = 0; i < plane; i++) {
      if (alpha[i] >= KEEP_OWN_COLOUR_ALPHA) for (let c = 0; c < 3; c++) expect(filled[c * plane + i]).toBe(rgb[c * plane + i]);
    }
  });

  it("blends smoothly between two differently coloured regions", () => {
    // White on the left (x < 4), black on the right (x ≥ 28), transparent between.
    const rgb = new Float32Array(3 * plane);
    const alpha = new Float32Array(plane);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) rgb[c * plane + y * W + x] = 1;
      for (const x of [0, 1, 2, 3, 28, 29, 30, 31]) alpha[y * W + x] = 1;
    }
    const filled = fillTransparentColour(rgb, alpha, W, H);
    const row = 10 * W;
    expect(filled[row + 5]).toBeGreaterThan(filled[row + 26]);
    for (let x = 4; x < 28; x++) {
      expect(filled[row + x]).toBeGreaterThanOrEqual(0);
      expect(filled[row + x]).toBeLessThanOrEqual(1);
      expect(Math.abs(filled[row + x + 1] - filled[row + x])).toBeLessThan(0.2);
    }
  });

  it("returns the colours unchanged when nothing is visible", () => {
    const rgb = new Float32Array(3 * plane).fill(0.25);
    expect(fillTransparentColour(rgb, new Float32Array(plane), W, H)).toBe(rgb);
  });

  it("handles 1×1 and 1-px-wide images", () => {
    expect(Array.from(fillTransparentColour(new Float32Array([0.1, 0.2, 0.3]), new Float32Array([0]), 1, 1))).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    const rgb = new Float32Array(3 * 5);
    rgb[0] = 1;
    const filled = fillTransparentColour(rgb, new Float32Array([1, 0, 0, 0, 0]), 1, 5);
    for (let i = 0; i < 5; i++) expect(filled[i]).toBeCloseTo(1, 5);
  });
});

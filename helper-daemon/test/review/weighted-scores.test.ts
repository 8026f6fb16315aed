// Every review score is weighted by the region's feathered mask: an artifact outside the mask
// leaves the score where a clean result has it, the same artifact inside the mask moves it,
// and a mask of ones gives the rectangle's score.
import { describe, expect, it } from "vitest";
import { resampleImage } from "../../src/image/resample";
import type { RgbImage } from "../../src/image/image";
import type { Plane } from "../../src/image/plane";
import { scoreRegion, type ScoreName } from "../../src/review/scores";
import { ADDED_DETAIL_MAX, BANDING_MAX, HALO_MAX, MOTTLING_MAX, TEXTURE_RATIO_MAX } from "../../src/review/thresholds";
import { enlargeNearest, imageOf, mapPixels, noise, skin } from "./support";

/** The measured rectangle (source pixels 8..39 of a 48² source) and its two halves' masks. */
const region = { x: 8, y: 8, width: 32, height: 32 };
const SIDE = 48;
const mask = (weight: (x: number) => number): Plane => ({ width: SIDE, height: SIDE, data: Float32Array.from({ length: SIDE * SIDE }, (_, i) => weight(i % SIDE)) });
/** The feature is the rectangle's right half (source columns 24 on); the left half is the crop's corner. */
const rightHalf = mask((x) => (x >= 24 ? 1 : 0));
/** The feature is the left half. */
const leftHalf = mask((x) => (x < 24 ? 1 : 0));
const ones = mask(() => 1);

/** Result columns of the rectangle's left half, kept clear of the halves' border by the scores' neighbourhoods. */
const inLeft = (x: number, scale: number): boolean => x >= 8 * scale && x < 18 * scale;

function score(name: ScoreName, source: RgbImage, result: RgbImage, scale: number, weights?: Plane): number {
  const value = scoreRegion({ source, result }, region, scale, weights, [name])[name];
  if (value === undefined) throw new Error(`no ${name} score`);
  return value;
}

/**
 * Asserts: flawed outside the mask scores as clean (to `digits` decimals); inside the mask past
 * the limit; a mask of ones equals the rectangle.
 */
function expectMaskedOnly(name: ScoreName, source: RgbImage, clean: RgbImage, flawed: RgbImage, scale: number, limit: number, digits = 4): void {
  const cleanScore = score(name, source, clean, scale, rightHalf);
  expect(score(name, source, flawed, scale, rightHalf)).toBeCloseTo(cleanScore, digits);
  expect(cleanScore).toBeLessThanOrEqual(limit);
  expect(score(name, source, flawed, scale, leftHalf)).toBeGreaterThan(limit);
  expect(score(name, source, flawed, scale, ones)).toBeCloseTo(score(name, source, flawed, scale), 6);
}

describe("halo over the mask", () => {
  // Vertical step edges every 8 source pixels, enlarged 2× without overshoot.
  const source = imageOf(SIDE, SIDE, (x) => (Math.floor(x / 8) % 2 === 0 ? [0.2, 0.2, 0.2] : [0.8, 0.8, 0.8]));
  const clean = enlargeNearest(source, 2);
  // Ringing beside the edges of the left half only.
  const ringing = mapPixels(clean, ([r, g, b], x) => {
    if (!inLeft(x, 2)) return [r, g, b];
    const edge = x % 16;
    const d = edge === 14 || edge === 15 ? -0.1 : edge === 0 || edge === 1 ? 0.1 : 0;
    const s = Math.floor(x / 16) % 2 === 0 ? -1 : 1;
    return [r + s * d, g + s * d, b + s * d];
  });

  it("changes only when the ringing is inside the mask", () => {
    expectMaskedOnly("halo", source, clean, ringing, 2, HALO_MAX);
  });
});

describe("added detail over the mask", () => {
  const source = imageOf(SIDE, SIDE, (x, y) => {
    const v = 0.5 + 0.1 * noise(x, y);
    return [v, v, v];
  });
  const clean = resampleImage(source, { width: 2 * SIDE, height: 2 * SIDE, filter: "lanczos3" });
  const painted = mapPixels(clean, ([r, g, b], x, y) => {
    const n = inLeft(x, 2) ? 0.3 * noise(x + 1000, y) : 0;
    return [r + n, g + n, b + n];
  });

  it("changes only when the painted texture is inside the mask", () => {
    expectMaskedOnly("addedDetail", source, clean, painted, 2, ADDED_DETAIL_MAX);
  });
});

describe("texture ratio over the mask", () => {
  const source = imageOf(SIDE, SIDE, (x, y) => {
    const v = 0.5 + 0.1 * noise(x, y);
    return [v, v, v];
  });
  const clean = enlargeNearest(source, 2);
  const sharpened = mapPixels(clean, ([r, g, b], x, y) => {
    const n = inLeft(x, 2) ? 0.5 * (clean.rgb[y * clean.width + x] - 0.5) : 0;
    return [r + n, g + n, b + n];
  });

  it("changes only when the sharpening is inside the mask", () => {
    // The texture band's blur (σ 2 source pixels) reaches a little across the halves' border.
    expectMaskedOnly("textureRatio", source, clean, sharpened, 2, TEXTURE_RATIO_MAX, 3);
  });
});

describe("banding over the mask", () => {
  // A smooth shadow gradient down the image.
  const source = imageOf(SIDE, SIDE, (_x, y) => {
    const v = 0.1 + (0.1 * y) / SIDE;
    return [v, v, v];
  });
  const clean = imageOf(2 * SIDE, 2 * SIDE, (_x, y) => {
    const v = 0.1 + (0.1 * (y + 0.5)) / (2 * SIDE);
    return [v, v, v];
  });
  const posterised = mapPixels(clean, (rgb, x) => (inLeft(x, 2) ? (rgb.map((v) => Math.round((v * 255) / 4) * (4 / 255)) as [number, number, number]) : rgb));

  it("changes only when the steps are inside the mask", () => {
    expectMaskedOnly("banding", source, clean, posterised, 2, BANDING_MAX);
  });
});

describe("mottling", () => {
  const source = skin(SIDE, SIDE);
  const clean = resampleImage(source, { width: 4 * SIDE, height: 4 * SIDE, filter: "lanczos3" });
  /** Blobs 3 source pixels across (a period of 24 result pixels at 4×), `amount` of the tone, where `where` holds. */
  const blotch = (amount: number, where: (x: number) => boolean): RgbImage =>
    mapPixels(clean, (rgb, x, y) => {
      const f = where(x) ? 1 + amount * Math.sin((2 * Math.PI * x) / 24) * Math.sin((2 * Math.PI * y) / 24) : 1;
      return rgb.map((v) => v * f) as [number, number, number];
    });

  it("is zero for the source's Lanczos enlargement", () => {
    expect(score("mottling", source, clean, 4)).toBeLessThan(0.001);
  });

  it("ignores pore-scale grain finer than a source pixel and a tone shift coarser than the band", () => {
    const grain = mapPixels(clean, (rgb, x, y) => rgb.map((v) => v + 0.02 * noise(x + 500, y)) as [number, number, number]);
    const shaded = mapPixels(clean, (rgb, x) => rgb.map((v) => v * (1 + 0.1 * Math.sin((2 * Math.PI * x) / (4 * 64)))) as [number, number, number]);
    expect(score("mottling", source, grain, 4)).toBeLessThan(MOTTLING_MAX / 2);
    expect(score("mottling", source, shaded, 4)).toBeLessThan(MOTTLING_MAX / 2);
  });

  it("does not count the source's own structure made stronger or weaker (sharpening, smoothing)", () => {
    const textured = imageOf(SIDE, SIDE, (x, y) => {
      const t = 0.1 * noise(x, y);
      return [0.6 + t, 0.45 + t, 0.4 + t];
    });
    const enlarged = resampleImage(textured, { width: 4 * SIDE, height: 4 * SIDE, filter: "lanczos3" });
    // Its finest octave (what an area reduction and re-enlargement loses) times 1 + gain.
    const soft = resampleImage(resampleImage(enlarged, { width: SIDE, height: SIDE, filter: "area" }), { width: 4 * SIDE, height: 4 * SIDE, filter: "lanczos3" });
    const n = enlarged.width * enlarged.height;
    const shaped = (gain: number): RgbImage =>
      mapPixels(enlarged, (rgb, x, y) => rgb.map((v, c) => v + gain * (v - soft.rgb[c * n + y * enlarged.width + x])) as [number, number, number]);
    expect(score("mottling", textured, shaped(1.5), 4)).toBeLessThan(MOTTLING_MAX / 2);
    expect(score("mottling", textured, shaped(-0.6), 4)).toBeLessThan(MOTTLING_MAX / 2);
  });

  it("grows with blotches of 2–6 source pixels", () => {
    const light = score("mottling", source, blotch(0.005, () => true), 4);
    const heavy = score("mottling", source, blotch(0.1, () => true), 4);
    expect(light).toBeLessThan(MOTTLING_MAX);
    expect(heavy).toBeGreaterThan(MOTTLING_MAX);
    expect(heavy / light).toBeCloseTo(20, 0);
  });

  it("changes only when the blotches are inside the mask", () => {
    // The band's coarsest blur (σ 3 source pixels) reaches a little across the halves' border:
    // unchanged to a thousandth of a level, against a limit of about one level.
    expectMaskedOnly("mottling", source, clean, blotch(0.15, (x) => inLeft(x, 4)), 4, MOTTLING_MAX, 3);
  });
});

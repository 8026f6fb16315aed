import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Plane } from "../../src/image/plane";
import { BLEND_TUNING, blendLuma, limitOvershoot } from "../../src/portrait/blend";
import { localMinMax } from "../../src/image/filters";
import { HAIR_STRANDS, strandOvershootRelief } from "../../src/portrait/hair-strands";
import { withTextureAgreement } from "../../src/portrait/texture-agreement";
import { OUT, SCALE, SIZE, across, hairBase, hairSource, hashNoise, innerMean, plane, skinSource } from "./synthetic";

const ones = plane(OUT, OUT, () => 1);
const zeros = plane(OUT, OUT, () => 0);

const TUNED = { ...HAIR_STRANDS };
const BOUND = BLEND_TUNING.reliefBound;
const LIFT = BLEND_TUNING.fidelityLiftOnStrands;
beforeEach(() => {
  HAIR_STRANDS.overshootRelief = 1;
});
afterEach(() => {
  Object.assign(HAIR_STRANDS, TUNED);
  BLEND_TUNING.reliefBound = BOUND;
  BLEND_TUNING.fidelityLiftOnStrands = LIFT;
});

describe("strandOvershootRelief", () => {
  it("lifts the guard on hair where the source has strands, not on smooth skin or outside the hair mask", () => {
    HAIR_STRANDS.reliefFollowsCoherence = 1;
    expect(innerMean(strandOvershootRelief(hairSource, { hair: ones, skin: zeros }))).toBeGreaterThan(0.9 * HAIR_STRANDS.overshootRelief);
    expect(innerMean(strandOvershootRelief(skinSource, { hair: ones, skin: zeros }))).toBeLessThan(0.5 * HAIR_STRANDS.overshootRelief);
    expect(strandOvershootRelief(hairSource, { hair: zeros, skin: ones }).data.every((v) => v === 0)).toBe(true);
  });

  it("follows the hair mask pixel for pixel", () => {
    const left = plane(OUT, OUT, (x) => (x < OUT / 2 ? 1 : 0));
    const relief = strandOvershootRelief(hairSource, { hair: left, skin: zeros });
    for (let y = 0; y < OUT; y++) for (let x = OUT / 2; x < OUT; x++) expect(relief.data[y * OUT + x]).toBe(0);
    expect(relief.data[(OUT / 2) * OUT + OUT / 4]).toBeGreaterThan(0);
  });

  it("is 0 everywhere at 2× and when the stage is off", () => {
    const twice = plane(2 * SIZE, 2 * SIZE, () => 1);
    expect(strandOvershootRelief(hairSource, { hair: twice, skin: twice }).data.every((v) => v === 0)).toBe(true);
    HAIR_STRANDS.strength = 0;
    expect(strandOvershootRelief(hairSource, { hair: ones, skin: zeros }).data.every((v) => v === 0)).toBe(true);
  });
});

describe("limitOvershoot with a relief plane", () => {
  const reference = plane(OUT, OUT, (x, y) => 0.5 + 0.1 * Math.sin(x / 3) + 0.01 * hashNoise(x, y));
  const result = plane(OUT, OUT, (x, y) => reference.data[y * OUT + x] + 0.2 * hashNoise(x + 7, y));

  it("with relief 0 gives the guard's result bit for bit; with relief 1 the result unclipped", () => {
    const guarded = limitOvershoot(result, reference, 1, SCALE);
    expect(limitOvershoot(result, reference, 1, SCALE, undefined, zeros).data).toEqual(guarded.data);
    expect(limitOvershoot(result, reference, 1, SCALE, undefined, ones).data).toEqual(result.data);
    expect(guarded.data).not.toEqual(result.data);
  });

  it("with a relief range, bounds the relieved pixels by the union of both ranges instead", () => {
    const other = plane(OUT, OUT, (x, y) => reference.data[y * OUT + x] + 0.1 * Math.sin(y / 2));
    const otherRange = localMinMax(other, 1);
    const own = localMinMax(reference, 1);
    const widened = limitOvershoot(result, reference, 1, SCALE, undefined, ones, otherRange);
    expect(limitOvershoot(result, reference, 1, SCALE, undefined, zeros, otherRange).data).toEqual(limitOvershoot(result, reference, 1, SCALE).data);
    let kept = 0;
    for (let i = 0; i < widened.data.length; i++) {
      const hi = Math.max(own.max.data[i], otherRange.max.data[i]) + 0.005;
      const lo = Math.min(own.min.data[i], otherRange.min.data[i]) - 0.005;
      expect(widened.data[i]).toBeLessThanOrEqual(hi + 1e-6);
      expect(widened.data[i]).toBeGreaterThanOrEqual(lo - 1e-6);
      if (widened.data[i] === result.data[i]) kept++;
    }
    // Inside the union the result passes untouched; the guard alone would have clipped some of those.
    expect(kept).toBeGreaterThan(0);
  });
});

describe("strands through the blend at 4×", () => {
  // The fidelity branch draws the hair as the enlargement (broad, flat-inside strokes); the
  // detail branch adds thin strands along the source's direction, one output pixel wide.
  const thin = (x: number, y: number) => (Math.abs(((across(x, y) % 8) + 8) % 8 - 4) < 0.75 ? 0.08 : 0);
  const detail = plane(OUT, OUT, (x, y) => hairBase.data[y * OUT + x] + thin(x, y));
  const planes = { sourceLuma: hairSource, fidelityLuma: hairBase, detailLuma: detail, detailWeight: ones };
  const settings = { creativity: 0.3, resemblance: 0.85 };
  /** Mean result − fidelity on the thin strands' pixels, and its smallest value along them (a break shows as a dip). */
  const strandContrast = (y: Plane) => {
    let sum = 0;
    let n = 0;
    let least = Infinity;
    for (let py = 12; py < OUT - 12; py++)
      for (let px = 12; px < OUT - 12; px++) {
        if (thin(px, py) === 0) continue;
        const d = y.data[py * OUT + px] - hairBase.data[py * OUT + px];
        sum += d;
        n++;
        least = Math.min(least, d);
      }
    return { mean: sum / n, least };
  };

  it("keeps the thin strands, unbroken along their length, where the guard flattened them", () => {
    const hair = withTextureAgreement(planes, () => ({ hair: ones, skin: zeros }));
    const none = withTextureAgreement(planes, () => ({ hair: zeros, skin: zeros }));
    expect(hair.overshootRelief).toBeDefined();
    const withRelief = strandContrast(blendLuma(hair, settings).luma);
    const guarded = strandContrast(blendLuma(none, settings).luma);
    expect(withRelief.mean).toBeGreaterThan(1.5 * guarded.mean);
    expect(withRelief.least).toBeGreaterThan(0);
  });

  it("does not lift the fidelity branch's own strokes there: unclipped, they would come back as strokes", () => {
    // Flat-inside strokes along the strands (the fidelity model's), a detail branch without any.
    const pattern = (x: number, y: number) => Math.sign(Math.sin((2 * Math.PI * (x + y)) / 24));
    const strokes = plane(OUT, OUT, (x, y) => hairBase.data[y * OUT + x] + 0.03 * pattern(x, y));
    const flat = { sourceLuma: hairSource, fidelityLuma: strokes, detailLuma: hairBase, detailWeight: ones };
    /** How strongly the result draws the strokes: its projection on their pattern. */
    const strokeAmplitude = (y: Plane) => {
      let sum = 0;
      for (let py = 0; py < OUT; py++) for (let px = 0; px < OUT; px++) sum += (y.data[py * OUT + px] - hairBase.data[py * OUT + px]) * pattern(px, py);
      return sum / (OUT * OUT);
    };
    const run = () => strokeAmplitude(blendLuma(withTextureAgreement(flat, () => ({ hair: ones, skin: zeros })), settings).luma);
    const relieved = run();
    BLEND_TUNING.fidelityLiftOnStrands = 1;
    const lifted = run();
    expect(relieved).toBeLessThan(0.9 * lifted);
  });
});

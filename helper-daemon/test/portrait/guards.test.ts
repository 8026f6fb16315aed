import { describe, expect, it } from "vitest";
import { BLEND_TUNING, agreementGate, blendBranches, tuningAt } from "../../src/portrait/blend";
import type { RgbImage } from "../../src/image/image";
import { luma } from "../../src/image/plane";
import { localMinMax } from "../../src/image/filters";
import { resampleImage } from "../../src/image/resample";
import { denoiseLuma, estimateGrain, synthesizeGrain } from "../../src/portrait/texture";
import { bandingCount, halo } from "../../src/metrics/quality";
import { hashNoise } from "./synthetic";

/** An image from a function of (x, y) returning [r, g, b]. */
function image(width: number, height: number, f: (x: number, y: number) => readonly number[]): RgbImage {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = f(x, y);
      for (let c = 0; c < 3; c++) rgb[c * n + y * width + x] = v[c];
    }
  return { width, height, rgb };
}

function mapPixels(img: RgbImage, f: (x: number, y: number, v: number[]) => readonly number[]): RgbImage {
  const n = img.width * img.height;
  return image(img.width, img.height, (x, y) => {
    const i = y * img.width + x;
    return f(x, y, [img.rgb[i], img.rgb[n + i], img.rgb[2 * n + i]]);
  });
}

const step = (x: number): number => (x < 32 ? 0.2 : 0.8);

describe("anti-halo guard", () => {
  // A hard vertical edge at 4×: the detail branch rings on both sides of it (a GAN's overshoot),
  // in a pattern that averages out over each source pixel, so the agreement gate stays open.
  const reference = image(64, 16, (x) => [step(x), step(x), step(x)]);
  const source = resampleImage(reference, { width: 16, height: 4, filter: "area" });
  const fidelity = resampleImage(source, { width: 64, height: 16, filter: "linear" });
  const RING: Record<number, number> = { 28: 0.25, 29: 0.1, 30: -0.1, 31: -0.25, 32: 0.25, 33: 0.1, 34: -0.1, 35: -0.25 };
  const ringing = (x: number): number => RING[x] ?? 0;
  const detail = mapPixels(reference, (x, _y, v) => v.map((c) => c + ringing(x)));

  it("cuts the overshoot beyond the fidelity branch's local range by more than half", () => {
    const settings = { creativity: 1, resemblance: 0 };
    const guarded = blendBranches(source, fidelity, detail, { ...settings, antiHalo: 1 }).image;
    const unguarded = blendBranches(source, fidelity, detail, { ...settings, antiHalo: 0 }).image;
    const withGuard = halo(guarded, reference);
    const without = halo(unguarded, reference);
    expect(without).toBeGreaterThan(0.005);
    expect(withGuard).toBeLessThan(without * 0.5);
  });

  it("keeps every pixel at 4× within the fidelity branch's 3×3 range, plus the small allowance", () => {
    const guarded = luma(blendBranches(source, fidelity, detail, { creativity: 1, resemblance: 0.85 }).image).data;
    const at = tuningAt(4);
    expect(at.haloRadius).toBe(1);
    const { min, max } = localMinMax(luma(fidelity), at.haloRadius);
    const allowance = at.haloAllowanceFlat + 1e-6;
    for (let i = 0; i < guarded.length; i++) {
      expect(guarded[i]).toBeLessThanOrEqual(max.data[i] + allowance);
      expect(guarded[i]).toBeGreaterThanOrEqual(min.data[i] - allowance);
    }
  });
});

describe("scale-dependent tuning", () => {
  it("holds the 2× values up to 2×, the 4× values from 4×, and moves between them in between", () => {
    expect(tuningAt(2).creativityGain).toBe(BLEND_TUNING.creativityGain);
    expect(tuningAt(2).haloRadius).toBe(BLEND_TUNING.haloRadius);
    expect(tuningAt(3).creativityGain).toBeGreaterThan(tuningAt(2).creativityGain);
    expect(tuningAt(3).creativityGain).toBeLessThan(tuningAt(4).creativityGain);
    expect(tuningAt(4)).toEqual(BLEND_TUNING.at4x);
    expect(tuningAt(8)).toEqual(tuningAt(4));
  });
});

describe("colour guard", () => {
  // A red|green edge; the detail branch adds a blue fringe along it (amplified aberration).
  const reference = image(64, 16, (x) => (x < 32 ? [0.8, 0.2, 0.2] : [0.2, 0.7, 0.2]));
  const source = resampleImage(reference, { width: 16, height: 4, filter: "area" });
  const fidelity = resampleImage(source, { width: 64, height: 16, filter: "linear" });
  const detail = mapPixels(reference, (x, _y, v) => (x >= 30 && x < 34 ? [v[0], v[1], v[2] + 0.4] : v));

  /** Largest |B − Y| difference from the reference: blue fringing shows up there. */
  function blueFringe(img: RgbImage): number {
    const n = img.width * img.height;
    const y = luma(img).data;
    const yr = luma(reference).data;
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(img.rgb[2 * n + i] - y[i] - (reference.rgb[2 * n + i] - yr[i])));
    return max;
  }

  it("keeps the detail branch's colour fringe out: it only ever changes luma", () => {
    const blended = blendBranches(source, fidelity, detail, { creativity: 0.6, resemblance: 0.85 }).image;
    // The naive alternative: mixing RGB directly.
    const linear = mapPixels(fidelity, (x, y, v) => {
      const i = y * 64 + x;
      return v.map((c, k) => 0.6 * c + 0.4 * detail.rgb[k * 1024 + i]);
    });
    expect(blueFringe(linear)).toBeGreaterThan(0.1);
    expect(blueFringe(blended)).toBeLessThan(blueFringe(linear) * 0.5);
  });

  it("shifts no tone: a flat colour stays that colour", () => {
    const flat = image(8, 8, () => [0.7, 0.5, 0.4]);
    const big = image(32, 32, () => [0.7, 0.5, 0.4]);
    const out = blendBranches(flat, big, big, { creativity: 0.5, resemblance: 0.85 }).image;
    for (let c = 0; c < 3; c++) expect(out.rgb[c * 1024 + 500]).toBeCloseTo([0.7, 0.5, 0.4][c], 5);
  });
});

describe("agreement gate", () => {
  it("closes where the detail branch invents structure the source does not have", () => {
    const source = image(16, 16, () => [0.5, 0.5, 0.5]);
    // A bright blob the source lacks, at (40, 40) of the 64² output.
    const detail = image(64, 64, (x, y) => {
      const v = Math.hypot(x - 40, y - 40) < 6 ? 0.9 : 0.5;
      return [v, v, v];
    });
    const gate = agreementGate(luma(source), luma(detail), 64, 64).data;
    expect(gate[40 * 64 + 40]).toBeLessThan(0.2);
    expect(gate[8 * 64 + 8]).toBeGreaterThan(0.99);
  });
});

describe("no banding", () => {
  it("a smooth gradient stays smooth through the blend (float throughout)", () => {
    const source = image(32, 8, (x) => [0.3 + x * 0.004, 0.3 + x * 0.004, 0.3 + x * 0.004]);
    const big = resampleImage(source, { width: 128, height: 32, filter: "linear" });
    const out = blendBranches(source, big, big, { creativity: 0.3, resemblance: 0.85 }).image;
    expect(bandingCount(out, { region: { x: 8, y: 4, width: 112, height: 24 } })).toBe(0);
  });
});

describe("denoise and grain", () => {
  const sigma = 0.02;
  const noisy = image(64, 64, (x, y) => {
    const v = (x < 32 ? 0.3 : 0.7) + sigma * Math.sqrt(12) * hashNoise(x, y);
    return [v, v, v];
  });

  it("estimates the grain of a noisy flat area within 25 %", () => {
    expect(estimateGrain(luma(noisy))).toBeGreaterThan(sigma * 0.75);
    expect(estimateGrain(luma(noisy))).toBeLessThan(sigma * 1.25);
  });

  it("denoise lowers noise on flat areas and keeps the edge", () => {
    const y = luma(noisy);
    const out = denoiseLuma(y, 1, 2);
    const spread = (data: Float32Array, x0: number): number => {
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (let yy = 4; yy < 60; yy++)
        for (let xx = x0; xx < x0 + 20; xx++) {
          s += data[yy * 64 + xx];
          s2 += data[yy * 64 + xx] ** 2;
          n++;
        }
      return Math.sqrt(s2 / n - (s / n) ** 2);
    };
    expect(spread(out.data, 4)).toBeLessThan(spread(y.data, 4) * 0.8);
    // The 0.4 step survives: compare the means two pixels either side of it.
    const edge = (out.data[20 * 64 + 34] - out.data[20 * 64 + 29]) / 0.4;
    expect(edge).toBeGreaterThan(0.85);
  });

  it("synthesises grain of the requested strength, identical for the same seed", () => {
    const a = synthesizeGrain(64, 64, sigma, 2, 7).data;
    const b = synthesizeGrain(64, 64, sigma, 2, 7).data;
    const c = synthesizeGrain(64, 64, sigma, 2, 8).data;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    const rms = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms).toBeCloseTo(sigma, 4);
  });
});

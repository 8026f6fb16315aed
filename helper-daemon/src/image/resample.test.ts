import { describe, expect, it } from "vitest";
import { createRgbImage } from "./image";
import { resampleAlpha, resampleImage, resamplePlanes } from "./resample";

function plane(width: number, height: number, f: (x: number, y: number) => number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = f(x, y);
  return out;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe("Lanczos-3", () => {
  it("keeps a constant image constant, enlarging and reducing", () => {
    const flat = new Float32Array(3 * 20 * 12).fill(0.37);
    for (const [w, h] of [[60, 36], [47, 29], [7, 5]]) {
      const out = resamplePlanes(flat, 3, 20, 12, w, h);
      expect(out.length).toBe(3 * w * h);
      expect(maxAbsDifference(out, new Float32Array(out.length).fill(0.37))).toBeLessThan(1e-6);
    }
  });

  it("interpolates: at ×3 every third output pixel is exactly an input pixel", () => {
    const source = plane(16, 16, (x, y) => ((x * 7 + y * 13) % 11) / 10);
    const out = resamplePlanes(source, 1, 16, 16, 48, 48);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) expect(out[(3 * y + 1) * 48 + 3 * x + 1]).toBeCloseTo(source[y * 16 + x], 5);
  });

  it("is a real windowed sinc: between samples it matches the Lanczos-3 sum, not a cubic", () => {
    const source = plane(16, 1, (x) => (x === 8 ? 1 : 0));
    const out = resamplePlanes(source, 1, 16, 1, 32, 1);
    // Output 17 sits at input 8.25; the impulse's weight is L(0.25) normalised by the six taps' sum.
    const lanczos = (t: number) => (t === 0 ? 1 : (3 * Math.sin(Math.PI * t) * Math.sin((Math.PI * t) / 3)) / (Math.PI * Math.PI * t * t));
    const taps = [-2.75, -1.75, -0.75, 0.25, 1.25, 2.25].map(lanczos);
    const sum = taps.reduce((a, b) => a + b, 0);
    expect(out[17]).toBeCloseTo(lanczos(0.25) / sum, 5);
    // Negative lobes exist (a cubic B-spline or box would never go below zero here).
    expect(Math.min(...out)).toBeLessThan(-0.01);
  });

  it("reduces with antialiasing: one-pixel stripes become flat grey", () => {
    const stripes = plane(64, 8, (x) => x % 2);
    const out = resamplePlanes(stripes, 1, 64, 8, 16, 2);
    for (let x = 2; x < 14; x++) expect(out[x]).toBeCloseTo(0.5, 2);
  });

  it("is deterministic and leaves the same size untouched", () => {
    const source = plane(13, 9, (x, y) => Math.sin(x * 0.7 + y * 0.3));
    expect(Array.from(resamplePlanes(source, 1, 13, 9, 29, 20))).toEqual(Array.from(resamplePlanes(source, 1, 13, 9, 29, 20)));
    expect(Array.from(resamplePlanes(source, 1, 13, 9, 13, 9))).toEqual(Array.from(source));
  });

  it("is symmetric: a mirrored input gives a mirrored output", () => {
    const source = plane(10, 1, (x) => (x * x) / 100);
    const mirrored = plane(10, 1, (x) => ((9 - x) * (9 - x)) / 100);
    const a = resamplePlanes(source, 1, 10, 1, 25, 1);
    const b = resamplePlanes(mirrored, 1, 10, 1, 25, 1);
    for (let x = 0; x < 25; x++) expect(a[x]).toBeCloseTo(b[24 - x], 5);
  });
});

describe("area", () => {
  it("averages exactly the covered pixels", () => {
    const source = plane(4, 4, (x, y) => y * 4 + x);
    expect(Array.from(resamplePlanes(source, 1, 4, 4, 2, 2, "area"))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it("keeps the mean for non-integer factors", () => {
    const source = plane(10, 10, (x, y) => ((x * 3 + y * 5) % 7) / 6);
    const out = resamplePlanes(source, 1, 10, 10, 7, 7, "area");
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(source), 5);
  });
});

describe("resampleImage", () => {
  it("resizes colour and alpha, clamping alpha to 0..1", () => {
    const image = createRgbImage(8, 8, true);
    image.alpha!.set(plane(8, 8, (x) => (x < 4 ? 0 : 1)));
    image.rgb.fill(0.5);
    const out = resampleImage(image, { width: 24, height: 24 });
    expect(out.width).toBe(24);
    expect(out.rgb.length).toBe(3 * 24 * 24);
    expect(Math.min(...out.alpha!)).toBe(0);
    expect(Math.max(...out.alpha!)).toBe(1);
    // Unclamped, the hard edge rings below 0 and above 1.
    const raw = resamplePlanes(image.alpha!, 1, 8, 8, 24, 24);
    expect(Math.min(...raw)).toBeLessThan(0);
    expect(Array.from(resampleAlpha(image.alpha!, 8, 8, 24, 24))).toEqual(Array.from(out.alpha!));
  });

  it("refuses a bad size with the one message shape", () => {
    expect(() => resampleImage(createRgbImage(4, 4), { width: 0, height: 4 })).toThrow("Expected a positive integer for width but received 0 of type number");
  });
});

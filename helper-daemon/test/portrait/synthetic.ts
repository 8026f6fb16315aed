/**
 * Synthetic planes the portrait stage tests share: a plane from a formula, deterministic noise,
 * and 4× scenes of hair (diagonal strands) and smooth skin with their Lanczos enlargements.
 */
import type { Plane } from "../../src/image/plane";
import { resizePlane } from "../../src/image/resample";

/** A plane from a function of (x, y). */
export function plane(width: number, height: number, f: (x: number, y: number) => number): Plane {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data };
}

/** Deterministic pseudo-random values in −0.5..0.5. */
export function hashNoise(x: number, y: number): number {
  const s = Math.sin(x * 12.9898 + y * 78.233) * 43758.5453;
  return s - Math.floor(s) - 0.5;
}

export const SCALE = 4;
export const SIZE = 24;
export const OUT = SIZE * SCALE;

// Hair: diagonal strands in the source (period 4 source pixels); coordinates along and across them.
export const along = (x: number, y: number): number => (x + y) / Math.SQRT2;
export const across = (x: number, y: number): number => (x - y) / Math.SQRT2;
export const hairSource = plane(SIZE, SIZE, (x, y) => 0.5 + 0.15 * Math.sin((2 * Math.PI * across(x, y)) / 4));
export const hairBase = resizePlane(hairSource, OUT, OUT, "lanczos3");

// Smooth skin: a nearly flat source.
export const skinSource = plane(SIZE, SIZE, (x, y) => 0.6 + 0.002 * hashNoise(x, y));
export const skinBase = resizePlane(skinSource, OUT, OUT, "lanczos3");

/** Mean of a plane away from the border (`inside` pixels), where the scenes' edges do not reach. */
export function innerMean(p: Plane, inside = 8): number {
  let sum = 0;
  let n = 0;
  for (let y = inside; y < p.height - inside; y++)
    for (let x = inside; x < p.width - inside; x++) {
      sum += p.data[y * p.width + x];
      n++;
    }
  return sum / n;
}

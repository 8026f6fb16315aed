import { describe, expect, it } from "vitest";
import {
  FULL_16_MAX,
  PHOTOSHOP_16_MAX,
  full16ToPhotoshop,
  photoshopSamplesToFull16,
  photoshopSamplesToWire,
  photoshopToFull16,
  wireToPhotoshopSamples,
} from "./bit-depth";

describe("Photoshop 16-bit (0..32768) ⇄ full range (0..65535)", () => {
  it("maps black to black and full white to full white both ways", () => {
    expect(photoshopToFull16(0)).toBe(0);
    expect(photoshopToFull16(PHOTOSHOP_16_MAX)).toBe(FULL_16_MAX);
    expect(full16ToPhotoshop(0)).toBe(0);
    expect(full16ToPhotoshop(FULL_16_MAX)).toBe(PHOTOSHOP_16_MAX);
    expect(photoshopToFull16(16384)).toBe(32768);
  });

  it("round-trips all 32769 Photoshop levels exactly, each to the nearest full-range level", () => {
    const seen = new Set<number>();
    for (let v = 0; v <= PHOTOSHOP_16_MAX; v++) {
      const full = photoshopToFull16(v);
      expect(Math.abs(full - (v * FULL_16_MAX) / PHOTOSHOP_16_MAX)).toBeLessThanOrEqual(0.5);
      expect(full16ToPhotoshop(full)).toBe(v);
      seen.add(full);
    }
    expect(seen.size).toBe(PHOTOSHOP_16_MAX + 1);
  });

  it("maps every full-range level to the nearest Photoshop level, monotonically", () => {
    let previous = 0;
    for (let u = 0; u <= FULL_16_MAX; u++) {
      const v = full16ToPhotoshop(u);
      expect(Math.abs(v - (u * PHOTOSHOP_16_MAX) / FULL_16_MAX)).toBeLessThanOrEqual(0.5);
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
  });

  it("writes 16-bit wire bytes little-endian and reads them back", () => {
    const samples = Uint16Array.from([0, 1, 16384, 32767, 32768]);
    const bytes = photoshopSamplesToWire(samples, 16);
    expect(Array.from(bytes)).toEqual([0, 0, 2, 0, 0, 0x80, 0xfd, 0xff, 0xff, 0xff]);
    expect(Array.from(wireToPhotoshopSamples(bytes, 16))).toEqual(Array.from(samples));
    expect(Array.from(photoshopSamplesToFull16(samples))).toEqual([0, 2, 32768, 65533, 65535]);
  });

  it("passes 8-bit samples through untouched", () => {
    const samples = Uint8Array.from([0, 1, 128, 255]);
    expect(photoshopSamplesToWire(samples, 8)).toBe(samples);
    expect(wireToPhotoshopSamples(samples, 8)).toBe(samples);
  });
});

import { describe, expect, it } from "vitest";
import {
  createRgbImage,
  greyPlaneToRgb,
  interleavedU16ToPlanar,
  interleavedU8ToPlanar,
  planarToInterleavedU16,
  planarToInterleavedU8,
} from "./image";
import { cropPlanes } from "./crop";
import { luma } from "./plane";

describe("interleaved ↔ planar", () => {
  it("RGBA u8 (HWC) → 3 planes + alpha (CHW) and back", () => {
    // 2×1 pixels: (10,20,30,255) (40,50,60,128)
    const samples = new Uint8Array([10, 20, 30, 255, 40, 50, 60, 128]);
    const image = interleavedU8ToPlanar(samples, 2, 1, 4);
    expect(Array.from(image.rgb).map((v) => Math.round(v * 255))).toEqual([10, 40, 20, 50, 30, 60]);
    expect(Array.from(image.alpha!).map((v) => Math.round(v * 255))).toEqual([255, 128]);
    expect(Array.from(planarToInterleavedU8(image, 4))).toEqual(Array.from(samples));
  });

  it("grey and grey+alpha copy grey into every plane; opaque alpha is dropped", () => {
    const grey = interleavedU16ToPlanar(new Uint16Array([0, 65535, 1000, 65535]), 2, 1, 2);
    expect(grey.alpha).toBeUndefined();
    expect(Array.from(grey.rgb).map((v) => Math.round(v * 65535))).toEqual([0, 1000, 0, 1000, 0, 1000]);
    expect(Array.from(planarToInterleavedU16(grey, 2))).toEqual([0, 65535, 1000, 65535]);
    expect(Array.from(planarToInterleavedU16(grey, 1))).toEqual([0, 1000]);
  });

  it("writing grey from colour uses the one luma (Rec. 601); RGB from an opaque image gets alpha 255", () => {
    const image = createRgbImage(1, 1);
    image.rgb.set([1, 0, 0]);
    expect(Array.from(planarToInterleavedU8(image, 1))).toEqual([76]);
    expect(Array.from(planarToInterleavedU8(image, 4))).toEqual([255, 0, 0, 255]);
  });
});

describe("plane helpers", () => {
  it("grey plane ↔ RGB", () => {
    const rgb = greyPlaneToRgb(new Float32Array([0.25, 0.5]), 2, 1);
    expect(Array.from(rgb.rgb)).toEqual([0.25, 0.5, 0.25, 0.5, 0.25, 0.5]);
    for (const [i, v] of [0.25, 0.5].entries()) expect(luma(rgb).data[i]).toBeCloseTo(v, 6);
  });

  it("cropPlanes copies a rectangle of every plane (CHW → CHW), repeating edges outside", () => {
    // 2 planes of 3×2: plane 0 = 0..5, plane 1 = 10..15
    const source = new Float32Array([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(cropPlanes(source, 3, 2, 2, { x: 1, y: 0, width: 2, height: 2 }))).toEqual([1, 2, 4, 5, 11, 12, 14, 15]);
    expect(Array.from(cropPlanes(source, 3, 2, 1, { x: -1, y: 1, width: 5, height: 2 }))).toEqual([3, 3, 4, 5, 5, 3, 3, 4, 5, 5]);
  });
});

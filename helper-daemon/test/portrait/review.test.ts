import { describe, expect, it } from "vitest";
import type { Face } from "../../src/portrait/faces";
import { resizeImage, type RgbImage } from "../../src/portrait/planes";
import { contactSheet, reviewPortrait } from "../../src/portrait/review";

/** A face in a 64² source, eyes 16 px apart. */
const face: Face = {
  box: { x: 16, y: 12, width: 36, height: 36 },
  score: 0.9,
  keypoints: {
    rightEye: { x: 24, y: 24 },
    leftEye: { x: 40, y: 24 },
    noseTip: { x: 32, y: 32 },
    mouth: { x: 32, y: 40 },
    rightEar: { x: 16, y: 26 },
    leftEar: { x: 48, y: 26 },
  },
};

function textured(width: number, height: number): RgbImage {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = 0.5 + 0.1 * Math.sin(x * 0.7) * Math.cos(y * 0.5);
      for (let c = 0; c < 3; c++) rgb[c * n + y * width + x] = v * (c === 0 ? 1.1 : 0.9);
    }
  return { width, height, rgb };
}

describe("reviewPortrait", () => {
  const source = textured(64, 64);
  const fidelity = resizeImage(source, 128, 128, "linear");

  it("passes a result that is the fidelity branch itself", () => {
    const review = reviewPortrait(source, fidelity, [face], fidelity, null);
    expect(review.passed).toBe(true);
    expect(review.faces[0].regions.map((r) => r.region)).toEqual(["eyes", "noseBridge", "lips", "hairline"]);
    expect(review.advice).toBeNull();
  });

  it("flags ringing around the eyes and advises lowering creativity", () => {
    const n = 128 * 128;
    const rgb = fidelity.rgb.slice();
    // A bright ring around the right eye (at 2×: centre 48.5, 48.5).
    for (let y = 0; y < 128; y++)
      for (let x = 0; x < 128; x++) {
        const r = Math.hypot(x - 48.5, y - 48.5);
        if (r > 4 && r < 6) for (let c = 0; c < 3; c++) rgb[c * n + y * 128 + x] += 0.3;
      }
    const result = { width: 128, height: 128, rgb };
    const review = reviewPortrait(source, result, [face], fidelity, null);
    const eyes = review.faces[0].regions.find((r) => r.region === "eyes")!;
    expect(eyes.flags).toContain("halo");
    expect(review.faces[0].regions.find((r) => r.region === "lips")!.flags).toEqual([]);
    expect(review.passed).toBe(false);
    expect(review.advice).toContain("creativity");
    const sheet = contactSheet(result, review);
    expect(sheet.width).toBeGreaterThan(eyes.rect.width);
    expect(sheet.rgb).toHaveLength(3 * sheet.width * sheet.height);
  });
});

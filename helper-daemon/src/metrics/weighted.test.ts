// Region scores weighted by a feathered mask, against values computed by hand.
import { describe, expect, it } from "vitest";
import type { RgbImage } from "../image/image";
import type { Plane } from "../image/plane";
import { halo, meanDeltaE, textureRatio } from "./quality";

const W = 16;
const H = 8;

/** Grey 0.5 with single-pixel bumps of the given heights at (4, 4) and (12, 4). */
function bumps(left: number, right: number): RgbImage {
  const rgb = new Float32Array(3 * W * H).fill(0.5);
  for (let c = 0; c < 3; c++) {
    rgb[c * W * H + 4 * W + 4] += left;
    rgb[c * W * H + 4 * W + 12] += right;
  }
  return { width: W, height: H, rgb };
}

/** Weight `left` on the image's left half and `right` on its right half. */
function halves(left: number, right: number): Plane {
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = x < W / 2 ? left : right;
  return { width: W, height: H, data };
}

describe("metrics weighted by a mask", () => {
  const reference = bumps(0.2, 0.2);
  // The left bump doubled: its Laplacian energy is 4 times the reference's, the right one's equal.
  const output = bumps(0.4, 0.2);

  it.each([
    // sqrt((4·wL + wR) / (wL + wR)): the two bumps' Laplacians do not overlap and carry equal energy.
    [1, 1, Math.sqrt(5 / 2)],
    [1, 0.5, Math.sqrt(3)],
    [1, 0, 2],
    [0, 1, 1],
    [0.25, 1, Math.sqrt(2 / 1.25)],
  ])("texture ratio with weights %f (left) and %f (right) is %f", (left, right, expected) => {
    expect(textureRatio(output, reference, { weights: halves(left, right) })).toBeCloseTo(expected, 5);
  });

  it("texture ratio with uniform weights equals the unweighted one", () => {
    expect(textureRatio(output, reference, { weights: halves(0.3, 0.3) })).toBeCloseTo(textureRatio(output, reference), 6);
  });

  it("ΔE weighted to one pixel is that pixel's ΔE; weighted halves mix the halves' means", () => {
    const shifted: RgbImage = { ...reference, rgb: reference.rgb.map((v, i) => (i < W * H ? v + 0.1 : v)) };
    const onePixel = new Float32Array(W * H);
    onePixel[3 * W + 5] = 0.7;
    const single = meanDeltaE(shifted, reference, { weights: { width: W, height: H, data: onePixel } });
    expect(single).toBeCloseTo(meanDeltaE(shifted, reference, { region: { x: 5, y: 3, width: 1, height: 1 } }), 6);
    const leftMean = meanDeltaE(shifted, reference, { region: { x: 0, y: 0, width: 8, height: 8 } });
    const rightMean = meanDeltaE(shifted, reference, { region: { x: 8, y: 0, width: 8, height: 8 } });
    expect(meanDeltaE(shifted, reference, { weights: halves(1, 0.5) })).toBeCloseTo((leftMean + 0.5 * rightMean) / 1.5, 5);
  });

  it("halo weighted to zero on the ringing half is zero", () => {
    // A ring of undershoot around the left bump only.
    const ringing = bumps(0.2, 0.2);
    for (const [dx, dy] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) for (let c = 0; c < 3; c++) ringing.rgb[c * W * H + (4 + dy) * W + 4 + dx] -= 0.1;
    expect(halo(ringing, reference, { edgeFraction: 0.5 })).toBeGreaterThan(0);
    expect(halo(ringing, reference, { edgeFraction: 0.5, weights: halves(0, 1) })).toBe(0);
  });

  it("refuses a weight plane of another size, naming it", () => {
    expect(() => textureRatio(output, reference, { weights: { width: 4, height: 4, data: new Float32Array(16) } })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining("weights") }),
    );
  });
});

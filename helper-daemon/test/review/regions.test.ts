import { describe, expect, it } from "vitest";
import type { Face, Point } from "../../src/portrait/faces";
import { REVIEW_REGIONS, faceReviewAreas, faceReviewRegions, scaleRect, type PixelRect } from "../../src/review/regions";
import { ASTRONAUT_FACE } from "./support";

const inside = (p: Point, r: PixelRect | undefined): boolean =>
  r !== undefined && p.x >= r.x && p.x < r.x + r.width && p.y >= r.y && p.y < r.y + r.height;

describe("faceReviewRegions", () => {
  it("lays the four features and the skin on the astronaut's face", () => {
    const regions = faceReviewRegions(ASTRONAUT_FACE, 128, 128);
    expect(regions).toEqual({
      eyes: { x: 23, y: 46, width: 83, height: 29 },
      noseBridge: { x: 50, y: 58, width: 30, height: 38 },
      lips: { x: 39, y: 94, width: 48, height: 28 },
      hairline: { x: 29, y: 19, width: 74, height: 30 },
      skin: { x: 22, y: 28, width: 85, height: 100 },
    });
    const k = ASTRONAUT_FACE.keypoints;
    expect(inside(k.rightEye, regions.eyes) && inside(k.leftEye, regions.eyes)).toBe(true);
    expect(inside(k.noseTip, regions.noseBridge)).toBe(true);
    expect(inside({ x: (k.rightEye.x + k.leftEye.x) / 2, y: (k.rightEye.y + k.leftEye.y) / 2 }, regions.noseBridge)).toBe(true);
    expect(inside(k.mouth, regions.lips)).toBe(true);
    // The hairline band ends above the brows, which sit about a third of the eye distance above the eyes.
    expect(regions.hairline!.y + regions.hairline!.height).toBeLessThanOrEqual(Math.min(k.rightEye.y, k.leftEye.y) - 0.3 * 42);
  });

  it("weights the skin by the face's skin mask without the eyes, lips, nose and hairline", () => {
    const { skin } = faceReviewAreas(ASTRONAUT_FACE, 128, 128);
    const at = (p: Point): number => skin!.mask.data[Math.round(p.y) * 128 + Math.round(p.x)];
    const k = ASTRONAUT_FACE.keypoints;
    for (const feature of [k.rightEye, k.leftEye, k.noseTip, k.mouth]) expect(at(feature)).toBeLessThan(0.05);
    // A cheek: below the right eye, level with the nose tip.
    expect(at({ x: k.rightEye.x - 2, y: k.noseTip.y })).toBeGreaterThan(0.95);
    // Well outside the face.
    expect(at({ x: 2, y: 2 })).toBe(0);
  });

  it("follows a tilted head: the keypoints stay inside their regions", () => {
    const angle = Math.PI / 6;
    const c = { x: 64, y: 80 };
    const turn = (p: Point): Point => ({
      x: c.x + (p.x - c.x) * Math.cos(angle) - (p.y - c.y) * Math.sin(angle),
      y: c.y + (p.x - c.x) * Math.sin(angle) + (p.y - c.y) * Math.cos(angle),
    });
    const k = ASTRONAUT_FACE.keypoints;
    const tilted: Face = {
      ...ASTRONAUT_FACE,
      keypoints: {
        rightEye: turn(k.rightEye),
        leftEye: turn(k.leftEye),
        noseTip: turn(k.noseTip),
        mouth: turn(k.mouth),
        rightEar: turn(k.rightEar),
        leftEar: turn(k.leftEar),
      },
    };
    const regions = faceReviewRegions(tilted, 256, 256);
    expect(Object.keys(regions)).toEqual([...REVIEW_REGIONS]);
    expect(inside(tilted.keypoints.rightEye, regions.eyes) && inside(tilted.keypoints.leftEye, regions.eyes)).toBe(true);
    expect(inside(tilted.keypoints.noseTip, regions.noseBridge)).toBe(true);
    expect(inside(tilted.keypoints.mouth, regions.lips)).toBe(true);
  });

  it("clips to the image and leaves out a region outside it", () => {
    const shifted: Face = {
      ...ASTRONAUT_FACE,
      box: { ...ASTRONAUT_FACE.box, y: ASTRONAUT_FACE.box.y - 60 },
      keypoints: Object.fromEntries(Object.entries(ASTRONAUT_FACE.keypoints).map(([name, p]) => [name, { x: p.x, y: p.y - 60 }])) as unknown as Face["keypoints"],
    };
    const regions = faceReviewRegions(shifted, 128, 128);
    expect(regions.hairline).toBeUndefined();
    expect(regions.eyes).toEqual({ x: 23, y: 0, width: 83, height: 15 });
  });

  it("scales a source rectangle to the output exactly", () => {
    expect(scaleRect({ x: 3, y: 4, width: 5, height: 6 }, 4)).toEqual({ x: 12, y: 16, width: 20, height: 24 });
  });
});

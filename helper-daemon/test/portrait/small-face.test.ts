import { describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { detectFaces } from "../../src/portrait/faces";
import { resampleImage } from "../../src/image/resample";
import { SMALL_FACE_PX_AT_4X, isSmallFaceFor, smallFaceLimitPx } from "../../src/portrait/small-face";
import { fixturePath, hasModel, loadRgb, ortDetector, type OrtLike } from "./support";

describe("small face for the requested result", () => {
  it.each([
    // [face width in the source, scale, small?]
    [205, 2, false],
    [205, 3, true],
    [205, 4, true],
    [149, 2, true],
    [150, 2, false],
    [300, 4, false],
    [299, 4, true],
    [450, 6, false],
    [599, 8, true],
  ])("a %i px face at %i× is small: %s", (width, scale, small) => {
    expect(isSmallFaceFor(width, scale)).toBe(small);
  });

  it("asks 300 px at 4×, the guide's tier, and proportionally less at smaller scales", () => {
    expect(SMALL_FACE_PX_AT_4X).toBe(300);
    expect([1, 2, 3, 4, 8].map(smallFaceLimitPx)).toEqual([75, 150, 225, 300, 600]);
  });

  it("has the models it needs (npm install converts them)", () => {
    expect(hasModel("blazeface-back-256") && hasModel("blazeface-front-128")).toBe(true);
  });

  it("does not call the 1024 px head-and-shoulders portrait's face small at 2×, and does at 4×", async () => {
    const astronaut = await loadRgb(fixturePath("astronaut.png"));
    const portrait = resampleImage(astronaut, { width: 1024, height: 1024, filter: "lanczos3" });
    const [face] = await detectFaces(portrait, ortDetector(ort as unknown as OrtLike));
    // The case: the face box of this portrait is about 205 px wide.
    expect(face.box.width).toBeGreaterThan(180);
    expect(face.box.width).toBeLessThan(230);
    expect(isSmallFaceFor(face.box.width, 2)).toBe(false);
    expect(isSmallFaceFor(face.box.width, 4)).toBe(true);
  });
});

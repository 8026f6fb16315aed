import { describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { weightedNms } from "../../src/portrait/blazeface";
import { detectFaces } from "../../src/portrait/faces";
import { resampleImage } from "../../src/image/resample";
import { fixturePath, hasModel, loadRgb, ortDetector, padImage, type OrtLike } from "./support";

const haveDetectors = hasModel("blazeface-back-256") && hasModel("blazeface-front-128");

it("has the converted models it needs (npm install converts them)", () => expect(haveDetectors).toBe(true));
const runDetector = ortDetector(ort as unknown as OrtLike);

describe("detectFaces with BlazeFace", () => {
  it("finds the one face in the astronaut portrait and pins its box", async () => {
    const faces = await detectFaces(await loadRgb(fixturePath("astronaut.png")), runDetector);
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face.score).toBeGreaterThan(0.85);
    // Pinned from a verified run: the face spans about x 173–276, y 74–177.
    expect(face.box.x).toBeCloseTo(173.3, -0.5);
    expect(face.box.y).toBeCloseTo(73.8, -0.5);
    expect(face.box.x + face.box.width).toBeCloseTo(276.3, -0.5);
    expect(face.box.y + face.box.height).toBeCloseTo(176.8, -0.5);
    // The subject's right eye is on the image's left, above the nose, above the mouth.
    const k = face.keypoints;
    expect(k.rightEye.x).toBeLessThan(k.leftEye.x);
    expect(k.noseTip.y).toBeGreaterThan(k.rightEye.y);
    expect(k.mouth.y).toBeGreaterThan(k.noseTip.y);
  });

  it("finds no face in the coffee cup or the cat", async () => {
    for (const name of ["coffee-300.png", "chelsea-300.png"]) {
      expect(await detectFaces(await loadRgb(fixturePath(name)), runDetector), name).toEqual([]);
    }
  });

  it("finds a face that fills a close crop", async () => {
    const faces = await detectFaces(await loadRgb(fixturePath("astronaut-face-128.png")), runDetector);
    expect(faces).toHaveLength(1);
    // The crop starts at (160, 40) in the full portrait: the same face, shifted.
    expect(faces[0].box.x + 160).toBeCloseTo(173.3, -1);
    expect(faces[0].box.y + 40).toBeCloseTo(73.8, -1);
  });

  it("finds a face filling a 300-px crop", async () => {
    const crop = resampleImage(await loadRgb(fixturePath("astronaut-face-128.png")), { width: 300, height: 300, filter: "lanczos3" });
    const faces = await detectFaces(crop, runDetector);
    expect(faces).toHaveLength(1);
    expect(faces[0].box.width).toBeGreaterThan(200);
  });

  it("finds the face in the grey camera portrait", async () => {
    expect(await detectFaces(await loadRgb(fixturePath("camera.png")), runDetector)).toHaveLength(1);
  });

  it("finds a small face in a large padded canvas", async () => {
    const astronaut = await loadRgb(fixturePath("astronaut.png"));
    const small = resampleImage(astronaut, { width: 128, height: 128, filter: "area" });
    const canvas = padImage(small, 1600, 1200, 1100, 700);
    const faces = await detectFaces(canvas, runDetector);
    expect(faces).toHaveLength(1);
    // A quarter-size face (about 26 px) placed at (1100, 700).
    expect(faces[0].box.x).toBeCloseTo(1100 + 173.3 / 4, -0.5);
    expect(faces[0].box.y).toBeCloseTo(700 + 73.8 / 4, -0.5);
  });
});

describe("weightedNms", () => {
  it("merges overlapping detections into their score-weighted mean", () => {
    const points = new Array<number>(12).fill(0);
    const merged = weightedNms(
      [
        { score: 0.9, box: [0, 0, 10, 10], points },
        { score: 0.3, box: [2, 2, 12, 12], points },
        { score: 0.8, box: [50, 50, 60, 60], points },
      ],
      0.3,
    );
    expect(merged).toHaveLength(2);
    expect(merged[0].score).toBe(0.9);
    expect(merged[0].box[0]).toBeCloseTo((0.9 * 0 + 0.3 * 2) / 1.2, 6);
  });
});

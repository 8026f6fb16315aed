// Face Mesh on the project's portrait fixtures, with the real converted model: landmarks
// land on the features, survive a crop and a rotation, and faces the mesh cannot serve
// fall back to the keypoint ellipses with a note.
import { describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { PortraitError } from "@portrait-upscale/shared";
import type { RgbImage } from "../../src/image/image";
import { resampleImage } from "../../src/image/resample";
import { detectFaces, type Face, type RunDetector } from "../../src/portrait/faces";
import { regionMask } from "../../src/portrait/masks";
import { addFaceMeshes, MESH_POINTS, meshFallbackNote, yawRatio } from "../../src/portrait/mesh";
import { MESH_OUTLINES, NOSE_BRIDGE_LINE } from "../../src/portrait/mesh-regions";
import { faceReviewRegions } from "../../src/review/regions";
import { fixturePath, hasModel, loadRgb, ortDetector, padImage, type OrtLike } from "./support";

it("has the converted face mesh (npm install converts it)", () => expect(hasModel("facemesh")).toBe(true));
const run = ortDetector(ort as unknown as OrtLike);

function point(face: Face, index: number): { x: number; y: number } {
  return { x: face.mesh!.points[3 * index], y: face.mesh!.points[3 * index + 1] };
}

/** The image turned 90° clockwise: (x, y) → (h − 1 − y, x). */
function rotateClockwise(image: RgbImage): RgbImage {
  const { width: w, height: h } = image;
  const rgb = new Float32Array(image.rgb.length);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb[c * w * h + x * h + (h - 1 - y)] = image.rgb[c * w * h + y * w + x];
  return { width: h, height: w, rgb };
}

describe("Face Mesh on the astronaut portrait", async () => {
  const astronaut = await loadRgb(fixturePath("astronaut.png"));
  const [face] = await detectFaces(astronaut, run);

  it("finds 468 landmarks, all within the face box grown by a fifth", () => {
    expect(face.mesh).toBeDefined();
    expect(face.meshFallback).toBeUndefined();
    expect(face.mesh!.points).toHaveLength(MESH_POINTS * 3);
    expect(face.mesh!.confidence).toBeGreaterThan(0.9);
    const grow = face.box.width / 5;
    for (let i = 0; i < MESH_POINTS; i++) {
      const p = point(face, i);
      expect(p.x, `landmark ${i}`).toBeGreaterThan(face.box.x - grow);
      expect(p.x, `landmark ${i}`).toBeLessThan(face.box.x + face.box.width + grow);
      expect(p.y, `landmark ${i}`).toBeGreaterThan(face.box.y - grow);
      expect(p.y, `landmark ${i}`).toBeLessThan(face.box.y + face.box.height + grow);
    }
  });

  it("puts the eye corners, nose tip and chin where the portrait has them", () => {
    // Read off the 512² fixture: right eye corners at about (194, 101) and (213, 104),
    // left eye (237, 105) and (256, 104), nose tip (224, 131), chin (222, 176).
    const expected: readonly [number, number, number][] = [
      [33, 194, 101],
      [133, 213, 104],
      [362, 237, 105],
      [263, 256, 104],
      [1, 224, 131],
      [152, 222, 176],
    ];
    for (const [index, x, y] of expected) {
      expect(point(face, index).x, `landmark ${index} x`).toBeCloseTo(x, -0.7);
      expect(point(face, index).y, `landmark ${index} y`).toBeCloseTo(y, -0.7);
    }
  });

  it("gives eye masks over the eyes and brows, not the cheeks, and lips that follow the smile", () => {
    const mask = (name: "eyes" | "lips" | "skin"): ((x: number, y: number) => number) => {
      const plane = regionMask([face], name, 512, 512, 1);
      return (x, y) => plane.data[y * 512 + x];
    };
    const eyes = mask("eyes");
    const lips = mask("lips");
    const skin = mask("skin");
    expect(eyes(203, 101)).toBeGreaterThan(0.95); // right pupil
    expect(eyes(247, 104)).toBeGreaterThan(0.95); // left pupil
    // The middle of each brow: the keypoint ellipse stopped short of it.
    for (const brow of [[46, 53, 52, 65, 55, 107, 66, 105, 63, 70], [276, 283, 282, 295, 285, 336, 296, 334, 293, 300]]) {
      const x = brow.reduce((sum, index) => sum + point(face, index).x, 0) / brow.length;
      const y = brow.reduce((sum, index) => sum + point(face, index).y, 0) / brow.length;
      expect(eyes(Math.round(x), Math.round(y)), `brow at ${x}, ${y}`).toBeGreaterThan(0.7);
    }
    expect(eyes(205, 125)).toBeLessThan(0.05); // cheek
    expect(eyes(225, 103)).toBeLessThan(0.05); // between the eyes
    expect(lips(223, 143)).toBeGreaterThan(0.95);
    expect(lips(223, 166)).toBeLessThan(0.05); // chin below the lip
    expect(skin(205, 125)).toBeGreaterThan(0.95);
  });

  it("gives the review crops that hold their features' landmarks and no other's", () => {
    const regions = faceReviewRegions(face, 512, 512);
    const holds = (name: keyof typeof regions, indices: readonly number[]): boolean =>
      indices.every((index) => {
        const p = point(face, index);
        const r = regions[name]!;
        return p.x >= r.x && p.x <= r.x + r.width && p.y >= r.y && p.y <= r.y + r.height;
      });
    expect(holds("eyes", [...MESH_OUTLINES.rightEye, ...MESH_OUTLINES.leftEye])).toBe(true);
    expect(holds("lips", MESH_OUTLINES.lips)).toBe(true);
    expect(holds("noseBridge", [...NOSE_BRIDGE_LINE, ...MESH_OUTLINES.nostrils])).toBe(true);
    // Without the matte's edge the hairline crop is the face oval's forehead arc (matte.test.ts has the edge's).
    const arcRegion = faceReviewRegions({ ...face, matteHairline: undefined }, 512, 512).hairline!;
    expect([10, 109, 338].every((index) => {
      const p = point(face, index);
      return p.x >= arcRegion.x && p.x <= arcRegion.x + arcRegion.width && p.y >= arcRegion.y && p.y <= arcRegion.y + arcRegion.height;
    })).toBe(true);
    expect(holds("eyes", [1])).toBe(false); // the nose tip
    expect(holds("lips", [1])).toBe(false);
    // Tighter than the keypoint layout, which must allow for any face shape.
    const keypointRegions = faceReviewRegions({ ...face, mesh: undefined }, 512, 512);
    expect(regions.lips!.width * regions.lips!.height).toBeLessThan(keypointRegions.lips!.width * keypointRegions.lips!.height);
  });

  it("maps landmarks back through a crop of the image", async () => {
    const crop = await loadRgb(fixturePath("astronaut-face-128.png"));
    const [cropped] = await detectFaces(crop, run);
    // The chin lies outside this crop, so only landmarks the crop shows are compared.
    for (const index of [1, 33, 133, 263, 13]) {
      // The crop starts at (160, 40) in the full portrait.
      expect(point(cropped, index).x + 160, `landmark ${index} x`).toBeCloseTo(point(face, index).x, -0.5);
      expect(point(cropped, index).y + 40, `landmark ${index} y`).toBeCloseTo(point(face, index).y, -0.5);
    }
  });

  it("maps landmarks back through the upright rotation of a turned head", async () => {
    // The same face turned 90° clockwise: pixel (x, y) moves to (511 − y, x), so coordinates
    // (pixel edges) move to (512 − y, x). Turning the detection too keeps the crop's content
    // the same, so only the rotation and its inverse differ.
    const turn = (p: { x: number; y: number }): { x: number; y: number } => ({ x: 512 - p.y, y: p.x });
    const k = face.keypoints;
    const turnedFace: Face = {
      box: { x: 512 - (face.box.y + face.box.height), y: face.box.x, width: face.box.height, height: face.box.width },
      score: face.score,
      keypoints: { rightEye: turn(k.rightEye), leftEye: turn(k.leftEye), noseTip: turn(k.noseTip), mouth: turn(k.mouth), rightEar: turn(k.rightEar), leftEar: turn(k.leftEar) },
    };
    const [face90] = await addFaceMeshes(rotateClockwise(astronaut), [turnedFace], run);
    expect(face90.mesh).toBeDefined();
    for (const index of [1, 33, 263, 13, 152]) {
      const expected = turn(point(face, index));
      expect(Math.abs(point(face90, index).x - expected.x), `landmark ${index} x`).toBeLessThan(1);
      expect(Math.abs(point(face90, index).y - expected.y), `landmark ${index} y`).toBeLessThan(1);
    }
  });
});

describe("faces the mesh cannot serve keep the keypoint ellipses, with a note", () => {
  it("a small face (about 26 px) in a large canvas", async () => {
    const small = resampleImage(await loadRgb(fixturePath("astronaut.png")), { width: 128, height: 128, filter: "area" });
    const faces = await detectFaces(padImage(small, 800, 600, 300, 200), run);
    expect(faces).toHaveLength(1);
    expect(faces[0].mesh).toBeUndefined();
    expect(faces[0].meshFallback).toMatchObject({ reason: "small" });
    expect(regionMask(faces, "eyes", 800, 600, 1).data.some((value) => value > 0.5)).toBe(true);
    expect(meshFallbackNote(faces)).toMatchObject({ code: "MESH_FALLBACK", data: { faces: [{ reason: "small" }] } });
  });

  it("a box on something that is not a face (low mesh confidence)", async () => {
    const coffee = await loadRgb(fixturePath("coffee-300.png"));
    const notAFace: Face = {
      box: { x: 100, y: 50, width: 100, height: 100 },
      score: 0.8,
      keypoints: {
        rightEye: { x: 130, y: 80 },
        leftEye: { x: 170, y: 80 },
        noseTip: { x: 150, y: 100 },
        mouth: { x: 150, y: 120 },
        rightEar: { x: 105, y: 90 },
        leftEar: { x: 195, y: 90 },
      },
    };
    const [result] = await addFaceMeshes(coffee, [notAFace], run);
    expect(result.meshFallback).toMatchObject({ reason: "low-confidence" });
    expect(meshFallbackNote([result])?.message).toContain("not confident");
  });

  it("a face turned to profile (the mesh's nose tip at one cheek)", async () => {
    const astronaut = await loadRgb(fixturePath("astronaut.png"));
    const [face] = await detectFaces(astronaut, run, { mesh: false });
    // The real mesh's outputs with the nose tip moved onto the right cheek contour.
    const profile: RunDetector = async (id, input, size) => {
      const outputs = await run(id, input, size);
      const mesh = Float32Array.from(outputs.find((output) => output.length === MESH_POINTS * 3)!);
      mesh[3 * 1] = mesh[3 * 234] + 2;
      mesh[3 * 1 + 1] = mesh[3 * 234 + 1];
      return outputs.map((output) => (output.length === MESH_POINTS * 3 ? mesh : output));
    };
    const [result] = await addFaceMeshes(astronaut, [face], profile);
    expect(result.meshFallback?.reason).toBe("profile");
    expect(Math.abs(result.meshFallback!.yaw!)).toBeGreaterThan(0.9);
  });

  it("a model that cannot run; cancellation still cancels", async () => {
    const astronaut = await loadRgb(fixturePath("astronaut.png"));
    const [face] = await detectFaces(astronaut, run, { mesh: false });
    const broken: RunDetector = async () => {
      throw new PortraitError("MODEL_MISSING", "not installed", {});
    };
    expect((await addFaceMeshes(astronaut, [face], broken))[0].meshFallback).toEqual({ reason: "unavailable" });
    const cancelled: RunDetector = async () => {
      throw new PortraitError("CANCELLED");
    };
    await expect(addFaceMeshes(astronaut, [face], cancelled)).rejects.toMatchObject({ code: "CANCELLED" });
  });
});

describe("yawRatio", () => {
  const mesh = (noseX: number): Float32Array => {
    const points = new Float32Array(MESH_POINTS * 3);
    points[3 * 234] = 0; // right cheek
    points[3 * 454] = 100; // left cheek
    points[3 * 1] = noseX;
    return points;
  };
  it.each([
    [50, 0],
    [25, -0.5],
    [75, 0.5],
    [0, -1],
    [100, 1],
  ])("nose tip at x=%i between cheeks at 0 and 100 → %d", (noseX, ratio) => {
    expect(yawRatio(mesh(noseX))).toBeCloseTo(ratio, 6);
  });
});

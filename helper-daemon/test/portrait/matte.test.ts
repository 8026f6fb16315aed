// The hairline from the selfie matte: on the astronaut with the real converted models the
// band lies on the matte's edge above the forehead, not on the background; on generated
// mattes the edge is found where it was drawn; a matte that cannot serve keeps the arc, with a note.
import { describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { PortraitError } from "@portrait-upscale/shared";
import type { Plane } from "../../src/image/plane";
import { detectFaces, type Face, type RunDetector } from "../../src/portrait/faces";
import { regionMask } from "../../src/portrait/masks";
import { addMatteHairlines, hairlineFallbackNotes, MATTE_INPUT_SIZE, MATTE_MODEL_ID, matteHairline, matteInput } from "../../src/portrait/matte";
import { MESH_OUTLINES } from "../../src/portrait/mesh-regions";
import { faceReviewRegions } from "../../src/review/regions";
import { fixturePath, hasModel, loadRgb, ortDetector, type OrtLike } from "./support";

it("has the converted selfie matte (npm install converts it)", () => expect(hasModel(MATTE_MODEL_ID)).toBe(true));
const run = ortDetector(ort as unknown as OrtLike);

/** Bilinear sample of a model-resolution matte at an image pixel, as matte.ts reads it. */
function sample(matte: Plane, width: number, height: number, x: number, y: number): number {
  const fx = Math.min(matte.width - 1, Math.max(0, ((x + 0.5) * matte.width) / width - 0.5));
  const fy = Math.min(matte.height - 1, Math.max(0, ((y + 0.5) * matte.height) / height - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(matte.width - 1, x0 + 1);
  const y1 = Math.min(matte.height - 1, y0 + 1);
  const d = matte.data;
  const w = matte.width;
  const wx = fx - x0;
  const wy = fy - y0;
  return (d[y0 * w + x0] * (1 - wx) + d[y0 * w + x1] * wx) * (1 - wy) + (d[y1 * w + x0] * (1 - wx) + d[y1 * w + x1] * wx) * wy;
}

function browTop(face: Face): number {
  return Math.min(...[...MESH_OUTLINES.rightBrow, ...MESH_OUTLINES.leftBrow].map((i) => face.mesh!.points[3 * i + 1]));
}

describe("the selfie matte's hairline on the astronaut portrait", async () => {
  const astronaut = await loadRgb(fixturePath("astronaut.png"));
  const { width, height } = astronaut;
  const [face] = await detectFaces(astronaut, run);
  const [data] = await run(MATTE_MODEL_ID, matteInput(astronaut), MATTE_INPUT_SIZE);
  const matte: Plane = { width: MATTE_INPUT_SIZE, height: MATTE_INPUT_SIZE, data };

  it("gives the meshed face a hairline from the matte, no fallback", () => {
    expect(face.mesh).toBeDefined();
    expect(face.hairlineFallback).toBeUndefined();
    expect(face.matteHairline!.length).toBeGreaterThanOrEqual(17);
    expect(hairlineFallbackNotes([face])).toEqual([]);
  });

  it("puts every point on the matte's edge above the brows: person below, background above", () => {
    const top = browTop(face);
    for (const p of face.matteHairline!) {
      expect(p.y, `(${p.x}, ${p.y})`).toBeLessThan(top);
      expect(sample(matte, width, height, p.x, p.y)).toBeCloseTo(0.5, 1);
      expect(sample(matte, width, height, p.x, p.y + 4)).toBeGreaterThan(0.5);
      expect(sample(matte, width, height, p.x, p.y - 4)).toBeLessThan(0.5);
    }
  });

  it("lays the hairline band on that edge, not on the background above it nor on the forehead", () => {
    const band = regionMask([face], "hairline", width, height, 1);
    const middle = face.matteHairline![Math.floor(face.matteHairline!.length / 2)];
    const at = (x: number, y: number): number => band.data[Math.round(y) * width + Math.round(x)];
    expect(at(middle.x, middle.y)).toBeGreaterThan(0.9);
    // The old band's line, the face oval's top (landmark 10), sits below the matte's edge.
    const foreheadTop = face.mesh!.points[3 * 10 + 1];
    expect(middle.y).toBeLessThan(foreheadTop - 5);
    // Clear background above the head (matte under 0.05) and the brows get no band.
    let y = middle.y;
    while (y > 0 && sample(matte, width, height, middle.x, y) > 0.05) y--;
    const eyeWidth = Math.hypot(face.mesh!.points[3 * 33] - face.mesh!.points[3 * 133], face.mesh!.points[3 * 33 + 1] - face.mesh!.points[3 * 133 + 1]);
    expect(at(middle.x, Math.max(0, Math.min(y, middle.y - 1.2 * eyeWidth)))).toBe(0);
    expect(at(middle.x, browTop(face) + 2)).toBe(0);
  });
});

describe("the review's hairline crop on the astronaut portrait", async () => {
  const astronaut = await loadRgb(fixturePath("astronaut.png"));
  const [face] = await detectFaces(astronaut, run);

  it("holds every point of the matte's edge and ends above the brows", () => {
    const crop = faceReviewRegions(face, astronaut.width, astronaut.height).hairline!;
    for (const p of face.matteHairline!) {
      expect(p.x).toBeGreaterThanOrEqual(crop.x);
      expect(p.x).toBeLessThanOrEqual(crop.x + crop.width);
      expect(p.y).toBeGreaterThanOrEqual(crop.y);
      expect(p.y).toBeLessThanOrEqual(crop.y + crop.height);
    }
    expect(crop.y + crop.height).toBeLessThan(browTop(face));
  });
});

describe("matteHairline on generated mattes", async () => {
  // The astronaut's real mesh; the matte is drawn, so the edge's place is known.
  const astronaut = await loadRgb(fixturePath("astronaut.png"));
  const [face] = await detectFaces(astronaut, run);
  const mesh = face.mesh!;
  const size = 512;
  /** A matte of the image's person: 1 below `edgeY` (image pixels), 0 above, at 256². */
  const stepMatte = (edgeY: (x: number) => number): Plane => {
    const data = new Float32Array(MATTE_INPUT_SIZE * MATTE_INPUT_SIZE);
    const k = size / MATTE_INPUT_SIZE;
    for (let y = 0; y < MATTE_INPUT_SIZE; y++)
      for (let x = 0; x < MATTE_INPUT_SIZE; x++) {
        // Coverage of the matte pixel's centre row by the person, soft over one matte pixel.
        const imageY = (y + 0.5) * k - 0.5;
        data[y * MATTE_INPUT_SIZE + x] = Math.min(1, Math.max(0, 0.5 + (imageY - edgeY((x + 0.5) * k - 0.5)) / k));
      }
    return { width: MATTE_INPUT_SIZE, height: MATTE_INPUT_SIZE, data };
  };

  it.each([
    ["a level head top at y 40", (_x: number) => 40],
    ["a level head top at y 60", (_x: number) => 60],
    ["a sloping head top", (x: number) => 30 + 0.1 * x],
  ])("finds %s within half a pixel in every column", (_name, edgeY) => {
    const points = matteHairline(stepMatte(edgeY), size, size, mesh)!;
    expect(points.length).toBeGreaterThanOrEqual(17);
    for (const p of points) expect(Math.abs(p.y - edgeY(p.x)), `(${p.x}, ${p.y})`).toBeLessThan(0.5);
  });

  it.each([
    ["no person anywhere", (_x: number) => size],
    ["a person reaching the image's top (no head outline)", (_x: number) => -10],
    ["a head top further above the brows than 1.5 face heights", (_x: number) => -1000],
  ])("gives no hairline for %s", (_name, edgeY) => {
    expect(matteHairline(stepMatte(edgeY), size, size, mesh)).toBeUndefined();
  });
});

describe("faces the matte cannot serve keep the forehead arc, with a note", async () => {
  const astronaut = await loadRgb(fixturePath("astronaut.png"));
  const [face] = await detectFaces(astronaut, run);
  const { matteHairline: _dropped, ...meshed } = face;

  it("a matte model that cannot run; cancellation still cancels", async () => {
    const broken: RunDetector = async () => {
      throw new PortraitError("MODEL_MISSING", "not installed", {});
    };
    const [fallback] = await addMatteHairlines(astronaut, [meshed], broken);
    expect(fallback.hairlineFallback).toEqual({ reason: "unavailable" });
    expect(fallback.matteHairline).toBeUndefined();
    expect(hairlineFallbackNotes([fallback])).toMatchObject([{ code: "HAIRLINE_FALLBACK", data: { faces: [{ reason: "unavailable" }] } }]);
    const cancelled: RunDetector = async () => {
      throw new PortraitError("CANCELLED");
    };
    await expect(addMatteHairlines(astronaut, [meshed], cancelled)).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("a matte with no person in it", async () => {
    const empty: RunDetector = async () => [new Float32Array(MATTE_INPUT_SIZE * MATTE_INPUT_SIZE)];
    const [fallback] = await addMatteHairlines(astronaut, [meshed], empty);
    expect(fallback.hairlineFallback).toEqual({ reason: "no-person" });
    expect(hairlineFallbackNotes([fallback])[0].message).toBe(
      "One face's hairline follows the face mesh's forehead arc instead of the person matte: the matte found no head outline above the face.",
    );
  });

  it("a face without a mesh is left as it is, and the matte does not run", async () => {
    const { mesh: _mesh, ...unmeshed } = meshed;
    const never: RunDetector = async () => {
      throw new Error("the matte ran for a face without a mesh");
    };
    expect(await addMatteHairlines(astronaut, [unmeshed], never)).toEqual([unmeshed]);
  });
});

// The hair mask inside the face oval: on a generated face whose fringe covers the left half of
// the forehead, the mask reaches the fringe and stays off the brows, the eyes and the smooth
// forehead (also when that forehead has wrinkles running in one direction); the fringe leaves
// the skin mask and keeps hair's factor; and on the README sample with the real models the
// mask reaches the fringe over the forehead.
import { afterEach, describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import type { RgbImage } from "../../src/image/image";
import type { Plane } from "../../src/image/plane";
import { detectFaces, type Face, type FaceMesh } from "../../src/portrait/faces";
import { HAIR_FRINGE, addFringes, fringeMap, meshFringeGeometry } from "../../src/portrait/fringe";
import { regionFactorMap, regionMask } from "../../src/portrait/masks";
import { MESH_OUTLINES, NOSE_BRIDGE_LINE } from "../../src/portrait/mesh-regions";
import { hashNoise } from "./synthetic";
import { fixturePath, loadRgb, ortDetector, type OrtLike } from "./support";

const SIZE = 128;
const FACE = { cx: 64, cy: 70, a: 38, b: 50 };
const EYES = { y: 62, right: 48, left: 80, halfWidth: 8 };
const BROWS = { y: 53, halfWidth: 10, halfHeight: 2.5 };
/** The fringe: hair over the forehead left of this column, down to `bottom`; smooth forehead right of it. */
const FRINGE = { right: 60, bottom: 44 };
/** A patch of smooth forehead, right of the fringe and above the brows. */
const FOREHEAD = { x0: 67, x1: 80, y0: 37, y1: 44 };

const SKIN = [0.85, 0.66, 0.56];
const HAIR = [0.42, 0.3, 0.18];
const BROW = [0.3, 0.22, 0.15];

const inEllipse = (x: number, y: number, cx: number, cy: number, a: number, b: number) => ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1;
const inFace = (x: number, y: number) => inEllipse(x, y, FACE.cx, FACE.cy, FACE.a, FACE.b);
const inFringe = (x: number, y: number) => inFace(x, y) && x < FRINGE.right && y < FRINGE.bottom;
const inBrow = (x: number, y: number) => [EYES.right, EYES.left].some((cx) => inEllipse(x, y, cx, BROWS.y, BROWS.halfWidth, BROWS.halfHeight));
const inEye = (x: number, y: number) => [EYES.right, EYES.left].some((cx) => inEllipse(x, y, cx, EYES.y, EYES.halfWidth, 3));

/**
 * A generated portrait: grey background, a head of hair, a face oval of skin (lit from the left,
 * with grain, so its spread is a real face's), brows, eyes and a fringe of diagonal strands over
 * the left half of the forehead. `wrinkles` adds lines 0.03 darker running across the smooth forehead.
 */
function portrait(options: { wrinkles?: boolean; grey?: boolean } = {}): RgbImage {
  const n = SIZE * SIZE;
  const rgb = new Float32Array(3 * n);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      let colour = [0.5, 0.5, 0.5];
      const strands = 0.08 * Math.sin((2 * Math.PI * (x - y)) / 4);
      if (inEllipse(x, y, 64, 60, 52, 58)) colour = HAIR.map((c) => c + strands);
      if (inFace(x, y)) {
        const shade = 0.06 * ((FACE.cx - x) / FACE.a) + 0.05 * hashNoise(x, y);
        colour = SKIN.map((c) => c + shade);
        const wrinkle = options.wrinkles && x >= FRINGE.right ? -0.03 * (0.5 + 0.5 * Math.cos((2 * Math.PI * y) / 4)) : 0;
        colour = colour.map((c) => c + wrinkle);
      }
      if (inFringe(x, y)) colour = HAIR.map((c) => c + strands);
      if (inBrow(x, y)) colour = BROW;
      if (inEye(x, y)) colour = [0.2, 0.18, 0.17];
      for (let c = 0; c < 3; c++) {
        const grey = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2];
        rgb[c * n + y * SIZE + x] = options.grey ? grey : colour[c];
      }
    }
  return { width: SIZE, height: SIZE, rgb };
}

/** A Face Mesh drawn to match `portrait()`: the outlines the masks use where they belong, every other landmark at the face's centre. */
function portraitMesh(oval = FACE): FaceMesh {
  const points = new Float32Array(468 * 3);
  const put = (index: number, x: number, y: number) => {
    points[3 * index] = x;
    points[3 * index + 1] = y;
  };
  for (let i = 0; i < 468; i++) put(i, FACE.cx, FACE.cy + 5);
  const ring = (indices: readonly number[], cx: number, cy: number, a: number, b: number, start: number) =>
    indices.forEach((index, k) => put(index, cx + a * Math.cos(start + (2 * Math.PI * k) / indices.length), cy + b * Math.sin(start + (2 * Math.PI * k) / indices.length)));
  // The oval starts at the top of the forehead and runs towards the image's right.
  ring(MESH_OUTLINES.faceOval, oval.cx, oval.cy, oval.a, oval.b, -Math.PI / 2);
  // Each eye starts at its outer corner (33 on the image's left, 263 on its right); 133 and 362 are the inner ones.
  ring(MESH_OUTLINES.rightEye, EYES.right, EYES.y, EYES.halfWidth, 3, Math.PI);
  ring(MESH_OUTLINES.leftEye, EYES.left, EYES.y, EYES.halfWidth, 3, 0);
  ring(MESH_OUTLINES.rightBrow, EYES.right, BROWS.y, BROWS.halfWidth, BROWS.halfHeight, Math.PI);
  ring(MESH_OUTLINES.leftBrow, EYES.left, BROWS.y, BROWS.halfWidth, BROWS.halfHeight, 0);
  ring(MESH_OUTLINES.lips, 64, 100, 12, 5, Math.PI);
  ring(MESH_OUTLINES.nostrils, 64, 86, 7, 4, Math.PI);
  NOSE_BRIDGE_LINE.forEach((index, k) => put(index, 64, 62 + (24 * k) / (NOSE_BRIDGE_LINE.length - 1)));
  // Cheeks, where the skin's colour is sampled.
  put(205, 46, 84);
  put(50, 42, 78);
  put(425, 82, 84);
  put(280, 86, 78);
  return { points, confidence: 1, yaw: 0 };
}

const face: Face = {
  box: { x: 26, y: 30, width: 76, height: 80 },
  score: 0.95,
  keypoints: {
    rightEye: { x: EYES.right, y: EYES.y },
    leftEye: { x: EYES.left, y: EYES.y },
    noseTip: { x: 64, y: 86 },
    mouth: { x: 64, y: 100 },
    rightEar: { x: 26, y: 66 },
    leftEar: { x: 102, y: 66 },
  },
  mesh: portraitMesh(),
};

/** Mask values over the pixels of a rectangle where `where` holds: their minimum and maximum. */
function range(mask: Plane, x0: number, y0: number, x1: number, y1: number, where: (x: number, y: number) => boolean = () => true): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      if (!where(x, y)) continue;
      min = Math.min(min, mask.data[y * mask.width + x]);
      max = Math.max(max, mask.data[y * mask.width + x]);
    }
  return { min, max };
}

/** The inside of the fringe: a few pixels away from its edges and the face oval's. */
const fringeCore = (x: number, y: number) => inFringe(x, y) && inEllipse(x, y, FACE.cx, FACE.cy, FACE.a - 6, FACE.b - 6) && x < FRINGE.right - 4 && y < FRINGE.bottom - 4;

const TUNED = { ...HAIR_FRINGE };
afterEach(() => {
  Object.assign(HAIR_FRINGE, TUNED);
});

describe("the hair mask inside the face oval", () => {
  const [fringed] = addFringes(portrait(), [face]);
  const hair = regionMask([fringed], "hair", SIZE, SIZE, 1);
  const skin = regionMask([fringed], "skin", SIZE, SIZE, 1);

  it("reaches the fringe over the forehead, and the fringe leaves the skin", () => {
    expect(fringed.fringe).toBeDefined();
    expect(range(hair, 30, 20, 60, 44, fringeCore).min).toBeGreaterThan(0.9);
    expect(range(skin, 30, 20, 60, 44, fringeCore).max).toBeLessThan(0.1);
  });

  it("stays off the smooth forehead beside the fringe, the brows and the eyes", () => {
    expect(range(hair, FOREHEAD.x0, FOREHEAD.y0, FOREHEAD.x1, FOREHEAD.y1).max).toBeLessThan(0.05);
    expect(range(skin, FOREHEAD.x0, FOREHEAD.y0, FOREHEAD.x1, FOREHEAD.y1).min).toBeGreaterThan(0.95);
    expect(range(hair, 0, 0, SIZE - 1, SIZE - 1, (x, y) => inBrow(x, y) || inEye(x, y)).max).toBeLessThan(0.05);
    // Below the brows the oval is the face's own, whatever its colour.
    expect(range(hair, 0, EYES.y - 4, SIZE - 1, SIZE - 1, (x, y) => inEllipse(x, y, FACE.cx, FACE.cy, FACE.a - 6, FACE.b - 6)).max).toBe(0);
  });

  it("stays off a forehead with wrinkles running in one direction", () => {
    const [wrinkled] = addFringes(portrait({ wrinkles: true }), [face]);
    const mask = regionMask([wrinkled], "hair", SIZE, SIZE, 1);
    // Strand-like texture counts only in colours half-way to hair; these lines are skin's.
    expect(range(mask, FOREHEAD.x0, FOREHEAD.y0, FOREHEAD.x1, FOREHEAD.y1).max).toBeLessThan(0.1);
    expect(range(mask, 30, 20, 60, 44, fringeCore).min).toBeGreaterThan(0.9);
  });

  it("finds a fringe by its luma alone on a grey image", () => {
    const [grey] = addFringes(portrait({ grey: true }), [face]);
    const mask = regionMask([grey], "hair", SIZE, SIZE, 1);
    expect(range(mask, 30, 20, 60, 44, fringeCore).min).toBeGreaterThan(0.9);
    expect(range(mask, FOREHEAD.x0, FOREHEAD.y0, FOREHEAD.x1, FOREHEAD.y1).max).toBeLessThan(0.05);
  });

  it("is 0 inside the oval without a fringe map, and with the stage off", () => {
    const without = regionMask([face], "hair", SIZE, SIZE, 1);
    expect(range(without, 30, 20, 60, 44, fringeCore).max).toBe(0);
    HAIR_FRINGE.strength = 0;
    expect(regionMask([fringed], "hair", SIZE, SIZE, 1).data).toEqual(without.data);
    expect(regionMask([fringed], "skin", SIZE, SIZE, 1).data).toEqual(regionMask([face], "skin", SIZE, SIZE, 1).data);
  });

  it("changes no mask or factor away from the fringe", () => {
    const factors = { eyes: 0.2, lips: 0.3, noseBridge: 0.1, hairline: 0.5, skin: 0.6, hair: 1, background: 0.8 };
    const map = fringed.fringe!;
    const reach = (x: number, y: number) => x >= map.x - 1 && y >= map.y - 1 && x <= map.x + map.width && y <= map.y + map.height;
    const away = (x: number, y: number) => !reach(x, y) || y > BROWS.y + 4;
    for (const name of ["hair", "skin", "face", "eyes", "background"] as const) {
      const before = regionMask([face], name, SIZE, SIZE, 1).data;
      const after = regionMask([fringed], name, SIZE, SIZE, 1).data;
      for (let i = 0; i < before.length; i++) if (away(i % SIZE, Math.floor(i / SIZE))) expect(after[i], `${name} at ${i}`).toBe(before[i]);
    }
    const before = regionFactorMap([face], factors, SIZE, SIZE, 1).data;
    const after = regionFactorMap([fringed], factors, SIZE, SIZE, 1).data;
    for (let i = 0; i < before.length; i++) if (away(i % SIZE, Math.floor(i / SIZE))) expect(after[i]).toBe(before[i]);
  });

  it("gives the fringe hair's factor, not skin's", () => {
    const factors = { eyes: 0.2, lips: 0.3, noseBridge: 0.1, hairline: 1, skin: 0.6, hair: 1, background: 0.8 };
    const map = regionFactorMap([fringed], factors, SIZE, SIZE, 1);
    expect(range(map, 30, 20, 60, 44, fringeCore).min).toBeGreaterThan(0.96);
    // (the forehead's right end is under the hairline band, whose factor is laid over skin's)
    expect(range(map, FOREHEAD.x0, FOREHEAD.y0, FOREHEAD.x0 + 8, FOREHEAD.y1).max).toBeCloseTo(0.6, 1);
  });

  it("is smooth at 4×: neighbouring output pixels differ by at most 0.08", () => {
    const big = regionMask([fringed], "fringe", SIZE * 4, SIZE * 4, 4);
    let step = 0;
    for (let y = 0; y < big.height - 1; y++)
      for (let x = 0; x < big.width - 1; x++) {
        const i = y * big.width + x;
        step = Math.max(step, Math.abs(big.data[i + 1] - big.data[i]), Math.abs(big.data[i + big.width] - big.data[i]));
      }
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThanOrEqual(0.08);
  });

  it("cut for a window equals that part of the whole image's", () => {
    const window = { x: 60, y: 40, width: 90, height: 70 };
    const whole = regionMask([fringed], "hair", SIZE * 2, SIZE * 2, 2).data;
    const cut = new Float32Array(window.width * window.height);
    for (let y = 0; y < window.height; y++) cut.set(whole.subarray((window.y + y) * SIZE * 2 + window.x, (window.y + y) * SIZE * 2 + window.x + window.width), y * window.width);
    expect(regionMask([fringed], "hair", window.width, window.height, 2, window).data).toEqual(cut);
  });

  it("reaches the fringe of a face too small for the mesh from its keypoints, and leaves a profile face as it is", () => {
    const { mesh: _dropped, ...unmeshed } = face;
    const [small] = addFringes(portrait(), [{ ...unmeshed, meshFallback: { reason: "small", facePixels: 38 } }]);
    const mask = regionMask([small], "hair", SIZE, SIZE, 1);
    expect(range(mask, 30, 24, 56, 40, fringeCore).min).toBeGreaterThan(0.9);
    // The keypoints' face ellipse is smaller than this oval, so hair around it reaches the forehead's corner: the fringe alone stays off.
    const fringe = regionMask([small], "fringe", SIZE, SIZE, 1);
    expect(range(fringe, FOREHEAD.x0, FOREHEAD.y0, FOREHEAD.x1, FOREHEAD.y1).max).toBeLessThan(0.05);
    expect(range(fringe, 0, 0, SIZE - 1, SIZE - 1, (x, y) => inBrow(x, y) || inEye(x, y)).max).toBeLessThan(0.05);
    const profile = { ...unmeshed, meshFallback: { reason: "profile" as const, yaw: 0.8 } };
    expect(addFringes(portrait(), [profile])).toEqual([profile]);
    expect(fringeMap(portrait(), meshFringeGeometry(face.mesh!)!)!.data.some((v) => v > 0.9)).toBe(true);
  });
});

describe("the hair mask above a meshed face", () => {
  it("reaches down to the mesh's oval where the keypoints' face ellipse rises higher", () => {
    // The keypoints' face ellipse reaches y ≈ 28 here; this oval's top is at y = 38.
    const low: Face = { ...face, mesh: portraitMesh({ ...FACE, b: 32 }) };
    const hair = regionMask([low], "hair", SIZE, SIZE, 1);
    expect(hair.data[32 * SIZE + 64]).toBeGreaterThan(0.9);
    expect(regionMask([low], "face", SIZE, SIZE, 1).data[32 * SIZE + 64]).toBe(0);
  });
});

describe("the hair mask on the README sample, real models", async () => {
  const sample = await loadRgb(fixturePath("astronaut-face-128.png"));
  const [found] = await detectFaces(sample, ortDetector(ort as unknown as OrtLike));
  const hair = regionMask([found], "hair", sample.width, sample.height, 1);
  const skin = regionMask([found], "skin", sample.width, sample.height, 1);
  const at = (mask: Plane, x: number, y: number) => mask.data[y * mask.width + x];

  it("reaches the fringe over the forehead inside the face oval", () => {
    expect(found.fringe).toBeDefined();
    // The fringe's strands above the left brow and over the middle of the forehead.
    for (const [x, y] of [[45, 37], [55, 37], [70, 38]]) {
      expect(at(regionMask([found], "face", sample.width, sample.height, 1), x, y), `face at (${x}, ${y})`).toBeGreaterThan(0.9);
      expect(at(hair, x, y), `hair at (${x}, ${y})`).toBeGreaterThan(0.9);
      expect(at(skin, x, y), `skin at (${x}, ${y})`).toBeLessThan(0.1);
    }
  });

  it("keeps the forehead's skin between fringe and brows, the cheeks and the eyes", () => {
    for (const [x, y] of [[56, 44], [60, 46], [44, 80], [84, 80]]) {
      expect(at(hair, x, y), `hair at (${x}, ${y})`).toBeLessThan(0.1);
      expect(at(skin, x, y), `skin at (${x}, ${y})`).toBeGreaterThan(0.9);
    }
    const k = found.keypoints;
    expect(at(hair, Math.round(k.rightEye.x), Math.round(k.rightEye.y))).toBe(0);
    expect(at(hair, Math.round(k.leftEye.x), Math.round(k.leftEye.y))).toBe(0);
  });
});

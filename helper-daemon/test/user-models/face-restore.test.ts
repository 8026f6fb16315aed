// The face-restore stage on pixels: alignment recovers a known similarity exactly, an
// identity model pastes the face back where it was (so a wrong align or paste transform
// would show as a displaced face), colour matching undoes a model's tone drift, strength
// 0 changes nothing, and pixels outside the feathered mask never change. The model runs in
// real onnxruntime (tiny generated 512×512 models).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALIGNED_SIZE, alignmentOf, applySimilarity } from "../../src/face-restore/align";
import { faceMaskWeight, faceRestoreRunner, restoreFaces } from "../../src/face-restore/restore-faces";
import { InferencePool } from "../../src/inference/index";
import type { Face } from "../../src/portrait/faces";
import { imageOf } from "../review/support";
import { affineFaceRestorer } from "./tiny-models";

// The template's points, as alignment targets.
const TEMPLATE = { rightEye: [192.98, 239.95], leftEye: [318.9, 240.19], noseTip: [256.63, 314.02], mouth: [257.18, 371.28] } as const;

/** A face whose keypoints are the template's mapped by a known similarity (scale, angle, shift). */
function faceAt(scale: number, angle: number, x: number, y: number): Face {
  const map = ([u, v]: readonly [number, number]): { x: number; y: number } => ({
    x: scale * (Math.cos(angle) * u - Math.sin(angle) * v) + x,
    y: scale * (Math.sin(angle) * u + Math.cos(angle) * v) + y,
  });
  const keypoints = { rightEye: map(TEMPLATE.rightEye), leftEye: map(TEMPLATE.leftEye), noseTip: map(TEMPLATE.noseTip), mouth: map(TEMPLATE.mouth) };
  return { box: { x, y, width: 512 * scale, height: 512 * scale }, score: 0.9, keypoints: { ...keypoints, rightEar: keypoints.rightEye, leftEar: keypoints.leftEye } };
}

// A smooth but structured picture: a bilinear round trip keeps it to well under one 8-bit level.
const picture = imageOf(400, 300, (x, y) => [0.5 + 0.3 * Math.sin(x / 23) * Math.cos(y / 31), 0.4 + 0.2 * Math.cos((x + y) / 40), 0.3 + 0.2 * Math.sin(y / 17)]);
const face = faceAt(0.35, 0.2, 150, 40);

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const folders: string[] = [];
let pool: InferencePool;
const paths: Record<string, string> = {};
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "face-restore-"));
  folders.push(dir);
  for (const [name, bytes] of [
    ["identity", affineFaceRestorer(1, 0)],
    ["brighter", affineFaceRestorer(1, 0.3)],
    ["black", affineFaceRestorer(0, -1)],
  ] as const) {
    paths[name] = join(dir, `${name}.onnx`);
    await writeFile(paths[name], bytes);
  }
  pool = new InferencePool({ resolveModelPath: (id) => paths[id], intraOpThreads: 1 });
});
afterAll(async () => {
  await pool?.close();
  await Promise.all(folders.map((f) => rm(f, { recursive: true, force: true })));
});

describe("alignment", () => {
  it("recovers a known similarity: the keypoints land on the template", () => {
    const t = alignmentOf(face);
    for (const [name, [u, v]] of Object.entries(TEMPLATE)) {
      const p = applySimilarity(t, face.keypoints[name as keyof typeof TEMPLATE]);
      expect(p.x).toBeCloseTo(u, 6);
      expect(p.y).toBeCloseTo(v, 6);
    }
  });
});

describe("restoreFaces with a generated face-restore model", () => {
  it("pastes an identity model's face back in place: the image is unchanged to under one 8-bit level", async () => {
    const restored = await restoreFaces(picture, [face], faceRestoreRunner(pool, "identity", [-1, 1]), { strength: 1 });
    expect(maxDifference(restored.rgb, picture.rgb)).toBeLessThan(1 / 255);
  });

  it("matches colour: a model that brightens the face by 0.15 leaves its tone as it was", async () => {
    const restored = await restoreFaces(picture, [face], faceRestoreRunner(pool, "brighter", [-1, 1]), { strength: 1 });
    expect(maxDifference(restored.rgb, picture.rgb)).toBeLessThan(1 / 255);
  });

  it("replaces the face inside the mask, feathers its edge, and leaves everything outside untouched", async () => {
    const restored = await restoreFaces(picture, [face], faceRestoreRunner(pool, "black", [-1, 1]), { strength: 1 });
    const n = picture.width * picture.height;
    const t = alignmentOf(face);
    let inside = 0;
    let outsideChanged = 0;
    let feathered = 0;
    for (let y = 0; y < picture.height; y++)
      for (let x = 0; x < picture.width; x++) {
        const p = applySimilarity(t, { x: x + 0.5, y: y + 0.5 });
        const w = faceMaskWeight(p.x, p.y);
        const i = y * picture.width + x;
        const changed = [0, 1, 2].some((c) => restored.rgb[c * n + i] !== picture.rgb[c * n + i]);
        if (w === 0 && changed) outsideChanged++;
        if (w === 1) inside++;
        if (w > 0 && w < 1) feathered++;
      }
    expect(outsideChanged).toBe(0);
    expect(inside).toBeGreaterThan(1000);
    expect(feathered).toBeGreaterThan(100);
    // At the nose tip the face is flat: the model's black, moved to the face's mean colour.
    const nose = { x: Math.floor(face.keypoints.noseTip.x), y: Math.floor(face.keypoints.noseTip.y) };
    const around = (c: number, dx: number): number => restored.rgb[c * n + nose.y * picture.width + nose.x + dx];
    for (let c = 0; c < 3; c++) expect(Math.abs(around(c, 0) - around(c, 3))).toBeLessThan(1e-3);
  });

  it("reports each face as it is done, so progress does not stall on the last stage", async () => {
    const done: number[] = [];
    await restoreFaces(picture, [face, face], faceRestoreRunner(pool, "identity", [-1, 1]), { strength: 1, onFace: (count) => done.push(count) });
    expect(done).toEqual([1, 2]);
  });

  it("changes nothing at strength 0, and refuses a strength outside 0..1", async () => {
    const restore = faceRestoreRunner(pool, "black", [-1, 1]);
    expect(maxDifference((await restoreFaces(picture, [face], restore, { strength: 0 })).rgb, picture.rgb)).toBe(0);
    await expect(restoreFaces(picture, [face], restore, { strength: 1.5 })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("aligns to the 512² template the model takes", () => {
    expect(ALIGNED_SIZE).toBe(512);
  });
});

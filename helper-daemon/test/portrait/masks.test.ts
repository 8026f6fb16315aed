import { describe, expect, it } from "vitest";
import type { Face } from "../../src/portrait/faces";
import { REGIONS, regionFactorMap, regionMask, type MaskName } from "../../src/portrait/masks";
import { spiralMesh } from "./support";

/** The astronaut's face as detected (input pixels of the 512² portrait). */
const astronaut: Face = {
  box: { x: 173.32, y: 73.82, width: 102.99, height: 102.99 },
  score: 0.9075,
  keypoints: {
    rightEye: { x: 203.62, y: 101.35 },
    leftEye: { x: 247.42, y: 104.05 },
    noseTip: { x: 224.21, y: 127.93 },
    mouth: { x: 222.78, y: 148.5 },
    rightEar: { x: 179.26, y: 108.92 },
    leftEar: { x: 269.94, y: 114.74 },
  },
};

const NAMES: MaskName[] = ["face", ...REGIONS];

/**
 * Lets the test runner's messages through between whole-image masks: each takes seconds on a
 * loaded machine, and a worker that never yields for a minute is reported as timed out.
 */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function maxNeighbourStep(data: Float32Array, width: number, height: number): number {
  let max = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (x + 1 < width) max = Math.max(max, Math.abs(data[i + 1] - data[i]));
      if (y + 1 < height) max = Math.max(max, Math.abs(data[i + width] - data[i]));
    }
  return max;
}

function at(mask: { width: number; data: Float32Array }, x: number, y: number, scale = 1): number {
  return mask.data[Math.round((y + 0.5) * scale - 0.5) * mask.width + Math.round((x + 0.5) * scale - 0.5)];
}

describe("region masks", () => {
  it("cover the features they are named after and nothing far away", () => {
    const k = astronaut.keypoints;
    const eyes = regionMask([astronaut], "eyes", 512, 512, 1);
    expect(at(eyes, k.rightEye.x, k.rightEye.y)).toBe(1);
    expect(at(eyes, k.leftEye.x, k.leftEye.y)).toBe(1);
    expect(at(eyes, k.mouth.x, k.mouth.y)).toBe(0);
    expect(at(regionMask([astronaut], "lips", 512, 512, 1), k.mouth.x, k.mouth.y)).toBe(1);
    expect(at(regionMask([astronaut], "noseBridge", 512, 512, 1), k.noseTip.x, k.noseTip.y)).toBe(1);
    const skin = regionMask([astronaut], "skin", 512, 512, 1);
    expect(at(skin, 210, 135)).toBeGreaterThan(0.9); // a cheek
    expect(at(skin, k.rightEye.x, k.rightEye.y)).toBe(0);
    const background = regionMask([astronaut], "background", 512, 512, 1);
    expect(at(background, 20, 20)).toBe(1);
    expect(at(background, k.noseTip.x, k.noseTip.y)).toBe(0);
    expect(at(regionMask([astronaut], "hair", 512, 512, 1), 225, 40)).toBeGreaterThan(0.9); // the top of the head
  });

  it("scale with the output: the same mask at 4× lands on the same features", () => {
    const k = astronaut.keypoints;
    const eyes = regionMask([astronaut], "eyes", 2048, 2048, 4);
    expect(at(eyes, k.rightEye.x, k.rightEye.y, 4)).toBe(1);
    expect(at(eyes, k.mouth.x, k.mouth.y, 4)).toBe(0);
  });

  it("are feathered: neighbouring pixels differ by at most 0.2 on an 11-px face, 0.08 on a 176-px one", async () => {
    for (const scale of [0.25, 1, 4]) {
      const size = Math.round(512 * scale);
      for (const name of NAMES) {
        await breathe();
        const mask = regionMask([astronaut], name, size, size, scale);
        // smoothstep peaks at 1.5/ramp: 0.2 is a ramp of 7.5 px, 0.08 of 19 px.
        const limit = scale >= 4 ? 0.08 : 0.2;
        expect(maxNeighbourStep(mask.data, size, size), `${name} at ${scale}×`).toBeLessThanOrEqual(limit);
        expect(mask.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    }
  });

  it("lay region factors over the background smoothly", () => {
    const factors = { eyes: 0.2, lips: 0.3, noseBridge: 0.1, hairline: 0.5, skin: 0.6, hair: 1, background: 0.8 };
    const map = regionFactorMap([astronaut], factors, 512, 512, 1);
    const k = astronaut.keypoints;
    expect(at(map, k.rightEye.x, k.rightEye.y)).toBeCloseTo(0.2, 6);
    expect(at(map, k.mouth.x, k.mouth.y)).toBeCloseTo(0.3, 6);
    expect(at(map, 20, 20)).toBeCloseTo(0.8, 6);
    expect(maxNeighbourStep(map.data, 512, 512)).toBeLessThan(0.2 * 0.9);
  });

  it("cut for a window equal that part of the whole image's, for a face with a mesh and a matte hairline too", async () => {
    const meshed: Face = { ...astronaut, mesh: spiralMesh(225, 125, 60), matteHairline: [{ x: 170, y: 100 }, { x: 225, y: 60 }, { x: 280, y: 100 }] };
    const factors = { eyes: 0.2, lips: 0.3, noseBridge: 0.1, hairline: 0.5, skin: 0.6, hair: 1, background: 0.8 };
    const window = { x: 350, y: 210, width: 80, height: 70 };
    const cut = (plane: { width: number; data: Float32Array }): Float32Array => {
      const out = new Float32Array(window.width * window.height);
      for (let y = 0; y < window.height; y++) out.set(plane.data.subarray((window.y + y) * plane.width + window.x, (window.y + y) * plane.width + window.x + window.width), y * window.width);
      return out;
    };
    for (const face of [astronaut, meshed]) {
      for (const name of NAMES) {
        await breathe();
        expect(regionMask([face], name, window.width, window.height, 2, window).data, name).toEqual(cut(regionMask([face], name, 512, 512, 2)));
      }
      await breathe();
      expect(regionFactorMap([face], factors, window.width, window.height, 2, window).data).toEqual(cut(regionFactorMap([face], factors, 512, 512, 2)));
    }
  });
});

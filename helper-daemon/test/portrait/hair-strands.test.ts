import { afterEach, describe, expect, it } from "vitest";
import type { Plane } from "../../src/image/plane";
import { gaussianBlur } from "../../src/image/filters";
import { resizePlane } from "../../src/image/resample";
import { HAIR_STRANDS, blurAlong, reshapeFidelityBand, strandStrengthAt } from "../../src/portrait/hair-strands";
import { withTextureAgreement } from "../../src/portrait/texture-agreement";
import { OUT, SCALE, SIZE, across, along, hairBase, hairSource, hashNoise, plane, skinBase, skinSource } from "./synthetic";

/** RMS of (a − b) over the pixels where `where` holds, away from the border. */
function rmsDiff(a: Plane, b: Plane, where: (x: number, y: number) => boolean = () => true, inside = 8): number {
  let sum = 0;
  let n = 0;
  for (let y = inside; y < a.height - inside; y++)
    for (let x = inside; x < a.width - inside; x++) {
      if (!where(x, y)) continue;
      const d = a.data[y * a.width + x] - b.data[y * a.width + x];
      sum += d * d;
      n++;
    }
  return Math.sqrt(sum / n);
}

const ones = plane(OUT, OUT, () => 1);
const zeros = plane(OUT, OUT, () => 0);

/** The enlargement plus a band that varies only along (stroke ends) or only across (strand edges) the source's strands. */
const withBand = (direction: (x: number, y: number) => number) =>
  plane(OUT, OUT, (x, y) => hairBase.data[y * OUT + x] + 0.05 * Math.sin((2 * Math.PI * direction(x, y)) / 5));

// The fidelity model's mottling on smooth skin: soft blotches about a source pixel wide.
const blotches = gaussianBlur(plane(OUT, OUT, hashNoise), 1.5);
const mottled = plane(OUT, OUT, (x, y) => skinBase.data[y * OUT + x] + 0.2 * blotches.data[y * OUT + x]);

const TUNED = { ...HAIR_STRANDS };
afterEach(() => {
  Object.assign(HAIR_STRANDS, TUNED);
});

describe("reshapeFidelityBand", () => {
  it("on hair, smooths what changes along the source's strands and keeps what changes across them", () => {
    const masks = { hair: ones, skin: zeros };
    const strokeEnds = withBand(along);
    const strandEdges = withBand(across);
    // The band along the strands (stroke ends, steps) mostly goes; the strands' own edges stay.
    expect(rmsDiff(reshapeFidelityBand(hairSource, strokeEnds, strokeEnds, masks), hairBase)).toBeLessThan(0.5 * rmsDiff(strokeEnds, hairBase));
    expect(rmsDiff(reshapeFidelityBand(hairSource, strandEdges, strandEdges, masks), hairBase)).toBeGreaterThan(0.8 * rmsDiff(strandEdges, hairBase));
  });

  it("on smooth skin, calms the mottling in every direction", () => {
    const calmed = reshapeFidelityBand(skinSource, mottled, mottled, { hair: zeros, skin: ones });
    expect(rmsDiff(calmed, skinBase)).toBeLessThan(0.7 * rmsDiff(mottled, skinBase));
  });

  it("changes only the pixels under the hair and skin masks", () => {
    // Skin mask on the left half only: the right half comes back bit for bit.
    const left = plane(OUT, OUT, (x) => (x < OUT / 2 ? 1 : 0));
    const out = reshapeFidelityBand(skinSource, mottled, mottled, { hair: zeros, skin: left });
    expect(rmsDiff(out, mottled, (x) => x < OUT / 2 - 4)).toBeGreaterThan(0.003);
    for (let y = 0; y < OUT; y++) for (let x = OUT / 2; x < OUT; x++) expect(out.data[y * OUT + x]).toBe(mottled.data[y * OUT + x]);
    expect(reshapeFidelityBand(skinSource, mottled, mottled, { hair: zeros, skin: zeros }).data).toEqual(mottled.data);
  });

  it.each([
    [1, 0],
    [2, 0],
    [3, 0.5],
    [4, 1],
    [8, 1],
  ])("acts at %d× with strength %d", (scale, strength) => expect(strandStrengthAt(scale)).toBeCloseTo(strength));

  it("returns the same plane at 2× and at strength 0 (the bench's 'before')", () => {
    const source = plane(SIZE, SIZE, (x, y) => 0.5 + 0.1 * hashNoise(x, y));
    const twice = plane(2 * SIZE, 2 * SIZE, (x, y) => 0.5 + 0.2 * hashNoise(x, y));
    const masks = { hair: plane(2 * SIZE, 2 * SIZE, () => 1), skin: plane(2 * SIZE, 2 * SIZE, () => 1) };
    expect(reshapeFidelityBand(source, twice, twice, masks)).toBe(twice);
    HAIR_STRANDS.strength = 0;
    expect(reshapeFidelityBand(skinSource, mottled, mottled, { hair: ones, skin: ones })).toBe(mottled);
  });
});

describe("withTextureAgreement and the hair/skin masks", () => {
  it("at 2× builds no masks and changes nothing", () => {
    const source = plane(SIZE, SIZE, (x, y) => 0.5 + 0.1 * hashNoise(x, y));
    const twice = plane(2 * SIZE, 2 * SIZE, (x, y) => 0.5 + 0.2 * hashNoise(x, y));
    const planes = { sourceLuma: source, fidelityLuma: twice, detailLuma: twice, detailWeight: plane(2 * SIZE, 2 * SIZE, () => 1) };
    let built = 0;
    expect(withTextureAgreement(planes, () => (built++, { hair: ones, skin: ones }))).toBe(planes);
    expect(built).toBe(0);
  });

  it("at 4× the strands stage changes the blend's fidelity plane only where the masks are", () => {
    const planes = { sourceLuma: skinSource, fidelityLuma: mottled, detailLuma: mottled, detailWeight: ones };
    const without = withTextureAgreement(planes, () => ({ hair: zeros, skin: zeros }));
    const skin = withTextureAgreement(planes, () => ({ hair: zeros, skin: ones }));
    expect(without.fidelityLuma.data).toEqual(withTextureAgreement(planes).fidelityLuma.data);
    expect(rmsDiff(skin.fidelityLuma, without.fidelityLuma)).toBeGreaterThan(0.001);
  });
});

describe("blurAlong", () => {
  it("smooths along the given direction only", () => {
    const stripes = plane(32, 32, (x) => (x % 2 ? 1 : 0));
    const horizontal = blurAlong(stripes, new Float32Array(32 * 32).fill(1), new Float32Array(32 * 32), 2);
    const vertical = blurAlong(stripes, new Float32Array(32 * 32), new Float32Array(32 * 32).fill(1), 2);
    expect(Math.abs(horizontal[16 * 32 + 16] - 0.5)).toBeLessThan(0.1);
    expect(vertical[16 * 32 + 15]).toBeCloseTo(1, 5);
    expect(vertical[16 * 32 + 16]).toBeCloseTo(0, 5);
  });
});

describe("the stage's reach", () => {
  it("reads no further than 6 source pixels: on a crop with that margin it gives the whole image's result", () => {
    const size = 48;
    const out = size * SCALE;
    const source = plane(size, size, (x, y) => 0.5 + 0.15 * Math.sin((x - y) / 1.7) * (y < size / 2 ? 1 : 0.02) + 0.02 * hashNoise(x, y));
    const enlarged = resizePlane(source, out, out, "lanczos3");
    const fidelity = plane(out, out, (x, y) => enlarged.data[y * out + x] + 0.03 * hashNoise(x, y));
    const masks = { hair: plane(out, out, (_x, y) => (y < out / 2 ? 1 : 0.3)), skin: plane(out, out, (_x, y) => (y >= out / 2 ? 1 : 0.3)) };
    const whole = reshapeFidelityBand(source, fidelity, fidelity, masks);
    // The core: source pixels 16..32; the crop adds 6 on every side.
    const [core0, core1, margin] = [16, 32, 6];
    const c0 = core0 - margin;
    const cs = core1 - core0 + 2 * margin;
    const crop = (p: Plane, k: number) => plane(cs * k, cs * k, (x, y) => p.data[(y + c0 * k) * p.width + x + c0 * k]);
    const cropped = reshapeFidelityBand(crop(source, 1), crop(fidelity, SCALE), crop(fidelity, SCALE), { hair: crop(masks.hair, SCALE), skin: crop(masks.skin, SCALE) });
    let apart = 0;
    for (let y = core0 * SCALE; y < core1 * SCALE; y++)
      for (let x = core0 * SCALE; x < core1 * SCALE; x++)
        apart = Math.max(apart, Math.abs(whole.data[y * out + x] - cropped.data[(y - c0 * SCALE) * cs * SCALE + x - c0 * SCALE]));
    expect(apart).toBeLessThan(1 / 4096);
  });
});

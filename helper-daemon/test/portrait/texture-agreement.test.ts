import { afterEach, describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import type { Plane } from "../../src/image/plane";
import type { TileRunner } from "../../src/tiling/tiled-upscale";
import { runPortraitPipeline } from "../../src/portrait/pipeline";
import { gaussianBlur } from "../../src/image/filters";
import { resizePlane } from "../../src/image/resample";
import { OUT, SCALE, SIZE, across, along, hairBase, hairSource, hashNoise, innerMean, plane, skinBase, skinSource } from "./synthetic";
import { TEXTURE_AGREEMENT, agreementStrengthAt, gridStepExcess, textureAgreement, withTextureAgreement } from "../../src/portrait/texture-agreement";


/** RMS of a plane's finest band (plane − Gaussian σ), away from the border. */
function bandRms(p: Plane, sigma: number, inside = 8): number {
  const low = gaussianBlur(p, sigma).data;
  let sum = 0;
  let n = 0;
  for (let y = inside; y < p.height - inside; y++)
    for (let x = inside; x < p.width - inside; x++) {
      const d = p.data[y * p.width + x] - low[y * p.width + x];
      sum += d * d;
      n++;
    }
  return Math.sqrt(sum / n);
}


// Hair strands drawn finer by the detail branch.
const strands = (direction: (x: number, y: number) => number) =>
  plane(OUT, OUT, (x, y) => hairBase.data[y * OUT + x] + 0.05 * Math.sin((2 * Math.PI * direction(x, y)) / 3));

// Blotches on smooth skin: soft bumps about a source pixel wide.
const blotches = plane(OUT, OUT, (x, y) => {
  const cx = (Math.floor(x / 10) + 0.5) * 10;
  const cy = (Math.floor(y / 10) + 0.5) * 10;
  const bump = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 2.5 ** 2));
  return skinBase.data[y * OUT + x] + (((Math.floor(x / 10) + Math.floor(y / 10)) % 2) * 2 - 1) * 0.05 * bump;
});
const pores = plane(OUT, OUT, (x, y) => skinBase.data[y * OUT + x] + 0.004 * hashNoise(x, y));

const TUNED = { ...TEXTURE_AGREEMENT };
afterEach(() => {
  Object.assign(TEXTURE_AGREEMENT, TUNED);
});

describe("textureAgreement", () => {
  it("keeps strands that run along the source's strands, and can take them into the fidelity branch", () => {
    const detail = strands(across);
    const planes = { sourceLuma: hairSource, fidelityLuma: hairBase, detailLuma: detail };
    const { detailWeight, fidelityLuma } = textureAgreement(planes);
    expect(innerMean(detailWeight)).toBeGreaterThan(0.8);
    // Structured source: the fidelity branch's own band is kept as it was.
    expect(bandRms(fidelityLuma, 4)).toBeGreaterThan(0.95 * bandRms(hairBase, 4));
    // With a full swap the fidelity branch (which had no strands) carries most of the detail branch's.
    TEXTURE_AGREEMENT.strandSwap = 1;
    expect(bandRms(textureAgreement(planes).fidelityLuma, 4)).toBeGreaterThan(0.7 * bandRms(detail, 4));
  });

  it("drops strokes drawn across the source's strands", () => {
    const keptAlong = innerMean(textureAgreement({ sourceLuma: hairSource, fidelityLuma: hairBase, detailLuma: strands(across) }).detailWeight);
    const keptAcross = innerMean(textureAgreement({ sourceLuma: hairSource, fidelityLuma: hairBase, detailLuma: strands(along) }).detailWeight);
    expect(keptAcross).toBeLessThan(0.5);
    expect(keptAcross).toBeLessThan(keptAlong - 0.4);
  });

  it("attenuates blotches on smooth skin in both branches and keeps pore-scale grain", () => {
    const blotched = textureAgreement({ sourceLuma: skinSource, fidelityLuma: blotches, detailLuma: blotches });
    expect(innerMean(blotched.detailWeight)).toBeLessThan(0.4);
    expect(bandRms(blotched.fidelityLuma, 4)).toBeLessThan(0.4 * bandRms(blotches, 4));
    const grainy = textureAgreement({ sourceLuma: skinSource, fidelityLuma: pores, detailLuma: pores });
    expect(innerMean(grainy.detailWeight)).toBeGreaterThan(0.9);
    expect(bandRms(grainy.fidelityLuma, 4)).toBeGreaterThan(0.9 * bandRms(pores, 4));
  });

  it("softens blocks on the source's pixel grid at a hairline", () => {
    // Dark hair meets light skin along a diagonal; enlarged as squares, the edge is a staircase.
    const source = plane(SIZE, SIZE, (x, y) => (x + 0.6 * y < 14 ? 0.25 + 0.08 * hashNoise(x, y) : 0.75));
    const squares = resizePlane(source, OUT, OUT, "area");
    const blocks = plane(OUT, OUT, (x, y) => source.data[Math.floor(y / SCALE) * SIZE + Math.floor(x / SCALE)]);
    const { fidelityLuma, detailWeight } = textureAgreement({ sourceLuma: source, fidelityLuma: blocks, detailLuma: blocks });
    const before = innerMean({ ...blocks, data: gridStepExcess(blocks, SCALE) });
    const after = innerMean({ ...fidelityLuma, data: gridStepExcess(fidelityLuma, SCALE) });
    expect(before).toBeGreaterThan(0.5);
    expect(after).toBeLessThan(before * 0.6);
    expect(innerMean(detailWeight)).toBeLessThan(0.7);
    expect(squares.width).toBe(OUT);
  });

  it("changes nothing up to 2× and fades in to 4×", () => {
    expect(agreementStrengthAt(2)).toBe(0);
    expect(agreementStrengthAt(3)).toBeCloseTo(0.5);
    expect(agreementStrengthAt(4)).toBe(1);
    const source = plane(SIZE, SIZE, (x, y) => 0.5 + 0.1 * hashNoise(x, y));
    const detail = plane(2 * SIZE, 2 * SIZE, (x, y) => 0.5 + 0.2 * hashNoise(x, y));
    const planes = { sourceLuma: source, fidelityLuma: detail, detailLuma: detail, detailWeight: plane(2 * SIZE, 2 * SIZE, () => 1) };
    expect(withTextureAgreement(planes)).toBe(planes);
  });

  it("is off at strength 0, as the bench's 'before' runs it", () => {
    TEXTURE_AGREEMENT.strength = 0;
    const planes = { sourceLuma: skinSource, fidelityLuma: blotches, detailLuma: blotches, detailWeight: plane(OUT, OUT, () => 1) };
    expect(withTextureAgreement(planes)).toBe(planes);
  });
});

describe("gridStepExcess", () => {
  it.each([
    ["squares (nearest-neighbour enlargement)", (x: number, y: number) => hashNoise(Math.floor(x / SCALE), Math.floor(y / SCALE)), 0.9, 1],
    ["fine texture", (x: number, y: number) => hashNoise(x, y), 0, 0.1],
    ["smooth enlargement", (x: number, y: number) => Math.sin(x / 5) * Math.cos(y / 7), 0, 0.1],
  ])("%s", (_name, f, low, high) => {
    const p = plane(OUT, OUT, f);
    const excess = innerMean({ ...p, data: gridStepExcess(p, SCALE) });
    expect(excess).toBeGreaterThanOrEqual(low);
    expect(excess).toBeLessThanOrEqual(high);
  });

  it("is 0 at scales that are not whole or below 3", () => {
    const p = plane(32, 32, (x, y) => hashNoise(Math.floor(x / 2), Math.floor(y / 2)));
    expect(Math.max(...gridStepExcess(p, 2))).toBe(0);
    expect(Math.max(...gridStepExcess(p, 3.5))).toBe(0);
  });
});

describe("texture agreement in the windowed pass", () => {
  /** A stand-in model that draws every input pixel as a square of its scale: the stage's blocks at their worst. */
  const squares: (modelId: string) => TileRunner = (modelId) => async (tile) => {
    const s = modelId.endsWith("x2") ? 2 : 4;
    const { width: w, height: h } = tile;
    const data = new Float32Array(3 * w * s * h * s);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h * s; y++)
        for (let x = 0; x < w * s; x++) data[c * w * s * h * s + y * w * s + x] = tile.data[c * w * h + Math.floor(y / s) * w + Math.floor(x / s)];
    return { data, width: w * s, height: h * s };
  };

  it("reads no further than the window context: 40-pixel windows give the whole-image result at 4×", async () => {
    const width = 120;
    const height = 72;
    const n = width * height;
    const rgb = new Float32Array(3 * n);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[c * n + y * width + x] = 0.45 + 0.2 * hashNoise(x, y) * (x > 40 ? 1 : 0.1) + 0.03 * c;
    const settings = { ...resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!), scale: 4 as const };
    const whole = await runPortraitPipeline({ width, height, rgb }, settings, { tileRunner: squares });
    const windowed = await runPortraitPipeline({ width, height, rgb }, settings, { tileRunner: squares, window: 40 });
    TEXTURE_AGREEMENT.strength = 0;
    const without = await runPortraitPipeline({ width, height, rgb }, settings, { tileRunner: squares });
    let apart = 0;
    let changed = 0;
    for (let i = 0; i < whole.image.rgb.length; i++) {
      apart = Math.max(apart, Math.abs(windowed.image.rgb[i] - whole.image.rgb[i]));
      changed = Math.max(changed, Math.abs(without.image.rgb[i] - whole.image.rgb[i]));
    }
    expect(changed).toBeGreaterThan(0.01);
    expect(apart).toBeLessThan(1 / 4096);
  }, 300_000);
});

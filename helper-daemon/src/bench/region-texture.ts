/**
 * Texture ratio and detail correlation over soft region masks (face, hair, skin, whole
 * image), for the quality bench's before/after of the texture agreement stage. The same
 * definitions as metrics/quality.ts (luma Laplacians, output against the original), each
 * pixel weighted by its mask, so hair and skin are measured where the masks put them.
 */
import type { RgbImage } from "../image/image";
import { luma, type Plane } from "../image/plane";
import { laplacian } from "../image/filters";
import type { Face } from "../portrait/faces";
import { regionMask } from "../portrait/masks";

/** The regions the table reports, in order. */
export const TEXTURE_REGIONS = ["face", "hair", "skin", "whole"] as const;
export type TextureRegion = (typeof TEXTURE_REGIONS)[number];

/** One region's texture ratio, detail correlation and PSNR-Y (dB, luma clamped to 0..1). */
export interface RegionTexture {
  readonly textureRatio: number;
  readonly detailCorrelation: number;
  readonly psnrY: number;
}

/** The masks of the original's faces at its own size (whole: all ones), `border` pixels excluded. */
export function textureMasks(faces: readonly Face[], width: number, height: number, border: number): Record<TextureRegion, Plane> {
  const masks = {} as Record<TextureRegion, Plane>;
  for (const region of TEXTURE_REGIONS) {
    const mask = region === "whole" ? { width, height, data: new Float32Array(width * height).fill(1) } : regionMask(faces, region, width, height, 1);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if (x < border || y < border || x >= width - border || y >= height - border) mask.data[y * width + x] = 0;
    masks[region] = mask;
  }
  return masks;
}

/**
 * Mask-weighted texture ratio (RMS of the output's luma Laplacian ÷ the original's), Pearson
 * correlation of the two Laplacians and PSNR-Y; NaN for an empty mask.
 *
 * @example const { textureRatio } = regionTexture(output, original, masks.hair);
 */
export function regionTexture(output: RgbImage, original: RgbImage, mask: Plane): RegionTexture {
  const yOut = luma(output);
  const yOrig = luma(original);
  const a = laplacian(yOut).data;
  const b = laplacian(yOrig).data;
  const m = mask.data;
  let w = 0;
  let sa = 0;
  let sb = 0;
  let se = 0;
  for (let i = 0; i < m.length; i++) {
    w += m[i];
    sa += m[i] * a[i];
    sb += m[i] * b[i];
    const e = Math.min(1, Math.max(0, yOut.data[i])) - yOrig.data[i];
    se += m[i] * e * e;
  }
  if (!(w > 0)) return { textureRatio: NaN, detailCorrelation: NaN, psnrY: NaN };
  const ma = sa / w;
  const mb = sb / w;
  let aa = 0;
  let bb = 0;
  let ab = 0;
  let ea = 0;
  let eb = 0;
  for (let i = 0; i < m.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    aa += m[i] * da * da;
    bb += m[i] * db * db;
    ab += m[i] * da * db;
    ea += m[i] * a[i] * a[i];
    eb += m[i] * b[i] * b[i];
  }
  return {
    textureRatio: eb > 0 ? Math.sqrt(ea / eb) : NaN,
    detailCorrelation: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0,
    psnrY: se > 0 ? 10 * Math.log10(w / se) : Infinity,
  };
}

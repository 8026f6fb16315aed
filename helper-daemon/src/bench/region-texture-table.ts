/** The quality bench's before/after table of texture per region (see region-texture.ts). */
import type { RgbImage } from "../image/image";
import type { Plane } from "../image/plane";
import { TEXTURE_REGIONS, regionTexture, type RegionTexture, type TextureRegion } from "./region-texture";

/** One preset's result without and with a 4× stage, per region. */
export interface RegionTextureRow {
  readonly name: string;
  readonly before: Record<TextureRegion, RegionTexture>;
  readonly after: Record<TextureRegion, RegionTexture>;
}

/** Measures both results over every region's mask. */
export function regionTextureRow(name: string, before: RgbImage, after: RgbImage, original: RgbImage, masks: Record<TextureRegion, Plane>): RegionTextureRow {
  const measure = (image: RgbImage) => Object.fromEntries(TEXTURE_REGIONS.map((r) => [r, regionTexture(image, original, masks[r])])) as Record<TextureRegion, RegionTexture>;
  return { name, before: measure(before), after: measure(after) };
}

/** One line: per region "texture ratio, detail correlation, PSNR-Y", each before→after. */
export function regionTextureLine(row: RegionTextureRow, stage = "agreement"): string {
  const pair = (a: number, b: number, digits = 2) => `${a.toFixed(digits)}→${b.toFixed(digits)}`;
  const cells = TEXTURE_REGIONS.map(
    (r) =>
      `${r} ${pair(row.before[r].textureRatio, row.after[r].textureRatio)} ${pair(row.before[r].detailCorrelation, row.after[r].detailCorrelation)} ${pair(row.before[r].psnrY, row.after[r].psnrY)}`,
  );
  return `  ${stage === "agreement" ? "texture agreement" : stage}, before→after (texture ratio, detail correlation, PSNR-Y dB): ${cells.join(" | ")}`;
}

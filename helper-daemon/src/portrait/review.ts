/**
 * An automatic first look at the places retouchers check at 100 %: eyes, nose bridge, lips
 * and hairline. There is no ground truth at run time, so each region is scored against
 * what the result must stay consistent with: the fidelity branch (halo, invented texture),
 * the agreement gate (detail the source does not support) and the source's colour.
 */
import { meanDeltaE } from "../metrics/quality";
import { regionMask, type MaskName } from "./masks";
import type { Face } from "./faces";
import { cropImage, laplacian, localMinMax, luma, resizeImage, type Plane, type RgbImage } from "./planes";

export const REVIEW_REGIONS = ["eyes", "noseBridge", "lips", "hairline"] as const;
export type ReviewRegion = (typeof REVIEW_REGIONS)[number];

/** Limits above which a region is flagged; chosen from the quality bench's default-preset rows. */
export const REVIEW_LIMITS = {
  /** Mean overshoot beyond the fidelity branch's local range (luma 0..1). */
  halo: 0.004,
  /** Fine-detail RMS, result ÷ fidelity branch: above this the texture is mostly invented. */
  texture: 4,
  /** Mean agreement gate: below this, much of the detail there contradicted the source. */
  agreement: 0.35,
  /** Mean ΔE against the source's colour (blurred to the source's scale). */
  deltaE: 2,
};

export interface RegionReview {
  readonly region: ReviewRegion;
  readonly halo: number;
  readonly texture: number;
  readonly agreement: number | null;
  readonly deltaE: number;
  /** Which limits were exceeded. */
  readonly flags: readonly ("halo" | "texture" | "agreement" | "deltaE")[];
  /** The region's bounding rectangle in the result, for a contact sheet. */
  readonly rect: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

export interface FaceReview {
  readonly face: Face;
  readonly regions: readonly RegionReview[];
  readonly passed: boolean;
}

export interface PortraitReview {
  readonly faces: readonly FaceReview[];
  readonly passed: boolean;
  /** What to do when it did not pass (practitioners' rule: lower creativity by 0.05 and rerun). */
  readonly advice: string | null;
}

/**
 * Reviews a result. `fidelity` and `gate` are the pipeline's branches (`keepBranches: true`).
 * @example const review = reviewPortrait(source, result.image, result.faces, result.branches!.fidelity, result.branches!.gate);
 */
export function reviewPortrait(source: RgbImage, result: RgbImage, faces: readonly Face[], fidelity: RgbImage, gate: Plane | null): PortraitReview {
  const scale = result.width / source.width;
  const yR = luma(result);
  const yF = luma(fidelity);
  const { min, max } = localMinMax(yF, Math.max(2, Math.round(scale / 2)));
  const lapR = laplacian(yR).data;
  const lapF = laplacian(yF).data;
  const sourceColour = resizeImage({ width: source.width, height: source.height, rgb: source.rgb }, result.width, result.height, "lanczos3");
  const reviews: FaceReview[] = faces.map((face) => {
    const regions = REVIEW_REGIONS.map((region) => {
      const mask = regionMask([face], region as MaskName, result.width, result.height, scale);
      const rect = maskRect(mask);
      let weight = 0;
      let haloSum = 0;
      let energyR = 0;
      let energyF = 0;
      let gateSum = 0;
      for (let y = rect.y; y < rect.y + rect.height; y++)
        for (let x = rect.x; x < rect.x + rect.width; x++) {
          const i = y * result.width + x;
          const m = mask.data[i];
          if (m === 0) continue;
          weight += m;
          haloSum += m * (Math.max(0, yR.data[i] - max.data[i]) + Math.max(0, min.data[i] - yR.data[i]));
          energyR += m * lapR[i] * lapR[i];
          energyF += m * lapF[i] * lapF[i];
          if (gate) gateSum += m * gate.data[i];
        }
      const halo = weight > 0 ? haloSum / weight : 0;
      const texture = energyF > 0 ? Math.sqrt(energyR / energyF) : 1;
      const agreement = gate && weight > 0 ? gateSum / weight : null;
      const deltaE =
        rect.width > 0 && rect.height > 0
          ? meanDeltaE(cropImage(result, rect.x, rect.y, rect.width, rect.height), cropImage(sourceColour, rect.x, rect.y, rect.width, rect.height), {
              blur: Math.max(1, scale / 2),
            })
          : 0;
      const flags: RegionReview["flags"][number][] = [];
      if (halo > REVIEW_LIMITS.halo) flags.push("halo");
      if (texture > REVIEW_LIMITS.texture) flags.push("texture");
      if (agreement !== null && agreement < REVIEW_LIMITS.agreement) flags.push("agreement");
      if (deltaE > REVIEW_LIMITS.deltaE) flags.push("deltaE");
      return { region, halo, texture, agreement, deltaE, flags, rect };
    });
    return { face, regions, passed: regions.every((r) => r.flags.length === 0) };
  });
  const passed = reviews.every((r) => r.passed);
  return {
    faces: reviews,
    passed,
    advice: passed ? null : "Lower creativity by 0.05 and run again from the original.",
  };
}

/** The bounding rectangle of a mask's non-zero pixels (empty when all zero). */
function maskRect(mask: Plane): { x: number; y: number; width: number; height: number } {
  let x0 = mask.width;
  let y0 = mask.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < mask.height; y++)
    for (let x = 0; x < mask.width; x++)
      if (mask.data[y * mask.width + x] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? { x: 0, y: 0, width: 0, height: 0 } : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * A contact sheet: each face's reviewed regions cropped at 100 % from the result, side by
 * side on one row per face (grey between), for a person to check what the scores say.
 */
export function contactSheet(result: RgbImage, review: PortraitReview, gap = 8): RgbImage {
  const rows = review.faces.map((f) => f.regions.filter((r) => r.rect.width > 0));
  const width = Math.max(1, ...rows.map((r) => r.reduce((w, region) => w + region.rect.width + gap, gap)));
  const heights = rows.map((r) => Math.max(0, ...r.map((region) => region.rect.height)) + gap);
  const height = Math.max(1, heights.reduce((a, b) => a + b, gap));
  const n = width * height;
  const rgb = new Float32Array(3 * n).fill(0.5);
  let top = gap;
  rows.forEach((regions, row) => {
    let left = gap;
    for (const region of regions) {
      const crop = cropImage(result, region.rect.x, region.rect.y, region.rect.width, region.rect.height);
      const m = crop.width * crop.height;
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < crop.height; y++)
          rgb.set(crop.rgb.subarray(c * m + y * crop.width, c * m + (y + 1) * crop.width), c * n + (top + y) * width + left);
      left += region.rect.width + gap;
    }
    top += heights[row];
  });
  return { width, height, rgb };
}

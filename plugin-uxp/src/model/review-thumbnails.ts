/**
 * The review's crops as the panel shows them: data URLs an `<img>` displays in UXP and in a
 * browser alike (UXP has no `URL.createObjectURL` for every build, and a data URL needs no
 * revoking when the panel moves on). Crops are a few tens of kB, so the base64 copy is cheap.
 */
import type { ReviewCropImage } from "../client/daemon-client";

/** One before/after thumbnail: which face and region, its size, and its image as a data URL. */
export interface ReviewThumbnail {
  readonly face?: number;
  readonly region: string;
  readonly width: number;
  readonly height: number;
  readonly url: string;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding, without `btoa` (which takes strings, not bytes). */
export function base64Of(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64[n >> 18] + BASE64[(n >> 12) & 63] + BASE64[(n >> 6) & 63] + BASE64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += `${BASE64[n >> 18]}${BASE64[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += `${BASE64[n >> 18]}${BASE64[(n >> 12) & 63]}${BASE64[(n >> 6) & 63]}=`;
  }
  return out;
}

/** The crops as thumbnails, in the daemon's order (per face: eyes, nose bridge, lips, hairline). */
export function reviewThumbnails(crops: readonly ReviewCropImage[]): ReviewThumbnail[] {
  return crops.map((crop) => ({
    ...(crop.face !== undefined ? { face: crop.face } : {}),
    region: crop.region,
    width: crop.width,
    height: crop.height,
    url: `data:image/png;base64,${base64Of(crop.png)}`,
  }));
}

/** Constructed images and a face for the review's tests. */
import type { Face } from "../../src/portrait/faces";
import type { RgbImage } from "../../src/image/image";

/** An image from a function of the pixel position giving [r, g, b]. */
export function imageOf(width: number, height: number, colour: (x: number, y: number) => readonly [number, number, number]): RgbImage {
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      rgb[y * width + x] = r;
      rgb[n + y * width + x] = g;
      rgb[2 * n + y * width + x] = b;
    }
  return { width, height, rgb };
}

/** Every pixel repeated `scale`×`scale` times: an enlargement with no overshoot and no new texture. */
export function enlargeNearest(image: RgbImage, scale: number): RgbImage {
  const n = image.width * image.height;
  return imageOf(image.width * scale, image.height * scale, (x, y) => {
    const i = Math.floor(y / scale) * image.width + Math.floor(x / scale);
    return [image.rgb[i], image.rgb[n + i], image.rgb[2 * n + i]];
  });
}

/** The same image with `change` applied to every pixel's [r, g, b]. */
export function mapPixels(image: RgbImage, change: (rgb: [number, number, number], x: number, y: number) => readonly [number, number, number]): RgbImage {
  const n = image.width * image.height;
  return imageOf(image.width, image.height, (x, y) => {
    const i = y * image.width + x;
    return change([image.rgb[i], image.rgb[n + i], image.rgb[2 * n + i]], x, y);
  });
}

/** Deterministic noise in −1..1 (a hash of the position). */
export function noise(x: number, y: number): number {
  let h = Math.imul(x * 374761393 + y * 668265263, 1274126177) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177) >>> 0;
  return ((h ^ (h >>> 16)) / 0xffffffff) * 2 - 1;
}

/** Skin-like: a warm tone with mild texture, smooth enough for the colour checks. */
export function skin(width: number, height: number): RgbImage {
  return imageOf(width, height, (x, y) => {
    const t = 0.03 * noise(x, y) + 0.05 * (y / height);
    return [0.78 + t, 0.6 + t, 0.5 + t];
  });
}

/** The face BlazeFace finds in test/fixtures/astronaut-face-128.png (rounded). */
export const ASTRONAUT_FACE: Face = {
  box: { x: 13.66, y: 33.81, width: 100.11, height: 100.11 },
  score: 0.9167,
  keypoints: {
    rightEye: { x: 43.3, y: 62.13 },
    leftEye: { x: 85.73, y: 64.07 },
    noseTip: { x: 64.07, y: 88.6 },
    mouth: { x: 63.11, y: 107.69 },
    rightEar: { x: 19.77, y: 67.91 },
    leftEar: { x: 107.56, y: 71.4 },
  },
};

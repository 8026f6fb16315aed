/**
 * Crops, the one implementation: a rectangle of planar float planes, of an image (colour
 * and alpha) or of one plane. Positions outside the source repeat its edge pixels, so a
 * window may reach past the border (tiles, review crops) without special cases.
 */
import type { RgbImage } from "./image";
import type { Plane } from "./plane";

/** A rectangle in pixels. */
export interface PixelRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Copies a rectangle of planar float planes into a new NCHW buffer:
 * `planes` planes of `width`×`height` → `planes` planes of `rect.width`×`rect.height`.
 * @example cropPlanes(image.rgb, image.width, image.height, 3, { x: 8, y: 8, width: 64, height: 64 })
 */
export function cropPlanes(
  source: Float32Array,
  width: number,
  height: number,
  planes: number,
  rect: PixelRect,
  out: Float32Array = new Float32Array(planes * rect.width * rect.height),
): Float32Array {
  const plane = width * height;
  const { x, y, width: w, height: h } = rect;
  const inside = x >= 0 && y >= 0 && x + w <= width && y + h <= height;
  for (let p = 0; p < planes; p++) {
    for (let row = 0; row < h; row++) {
      const target = p * w * h + row * w;
      if (inside) {
        const from = p * plane + (y + row) * width + x;
        out.set(source.subarray(from, from + w), target);
        continue;
      }
      const sy = Math.min(height - 1, Math.max(0, y + row));
      for (let i = 0; i < w; i++) out[target + i] = source[p * plane + sy * width + Math.min(width - 1, Math.max(0, x + i))];
    }
  }
  return out;
}

/** A rectangle of an image, colour and alpha (edges repeated outside it). */
export function cropImage(image: RgbImage, rect: PixelRect): RgbImage {
  const rgb = cropPlanes(image.rgb, image.width, image.height, 3, rect);
  if (image.alpha === undefined) return { width: rect.width, height: rect.height, rgb };
  return { width: rect.width, height: rect.height, rgb, alpha: cropPlanes(image.alpha, image.width, image.height, 1, rect) };
}

/** A rectangle of one plane (edges repeated outside it). */
export function cropPlane(plane: Plane, rect: PixelRect): Plane {
  return { width: rect.width, height: rect.height, data: cropPlanes(plane.data, plane.width, plane.height, 1, rect) };
}

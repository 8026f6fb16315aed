/**
 * A model's input reduced by a whole factor (see `REDUCED_DETAIL` in branch-models.ts): the
 * detail model at 2× runs on the source halved, so its native 4× is the pass's 2×. Regions
 * start on the reduction's grid (`modelRegion` in route-plan.ts), so a region's reduced pixels
 * are the whole image's there and routed runs equal a whole-image run within the context.
 */
import type { RgbImage } from "../image/image";
import { resampleImage } from "../image/resample";
import { modelInputSize } from "./route-plan";

/**
 * `image` reduced by `reduction` with Lanczos-3 (antialiased); an edge that does not fill the
 * last reduced pixel is first extended by repeating its last column or row, so the reduction
 * is exact and the model's output is `reduction` × its scale of the extended image.
 */
export function reduceInput(image: RgbImage, reduction: number): RgbImage {
  if (reduction === 1) return image;
  const size = modelInputSize({ x: 0, y: 0, width: image.width, height: image.height }, reduction);
  return resampleImage(extendEdges(image, size.width * reduction, size.height * reduction), { ...size, filter: "lanczos3" });
}

/** `image` grown to `width`×`height` by repeating its last column and row. */
function extendEdges(image: RgbImage, width: number, height: number): RgbImage {
  if (width === image.width && height === image.height) return { width, height, rgb: image.rgb };
  const n = image.width * image.height;
  const m = width * height;
  const rgb = new Float32Array(3 * m);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++) {
      const from = c * n + Math.min(y, image.height - 1) * image.width;
      for (let x = 0; x < width; x++) rgb[c * m + y * width + x] = image.rgb[from + Math.min(x, image.width - 1)];
    }
  return { width, height, rgb };
}

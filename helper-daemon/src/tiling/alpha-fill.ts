/**
 * Colour fill for transparent pixels before an RGB-only model sees them.
 *
 * Transparent pixels usually hold black (or garbage); a model with a wide receptive field
 * would drag that colour into the edge and leave a dark fringe. A pull-push pyramid
 * (alpha-weighted averages going down, bilinear fill coming back up) gives every
 * transparent pixel the colour of the nearest opaque content, smoothly.
 */

/** Alpha from which a pixel keeps its own colour untouched (below it, it fades toward the fill). */
export const KEEP_OWN_COLOUR_ALPHA = 0.25;

interface Level {
  readonly width: number;
  readonly height: number;
  /** Alpha-weighted colour sums, 3 planes. */
  readonly premultiplied: Float32Array;
  /** Sum of alpha of the pixels each one stands for. */
  readonly weight: Float32Array;
}

/**
 * Planar RGB (3×w×h) with the colour of (nearly) transparent pixels replaced by the colour
 * of nearby opaque ones. Pixels with alpha ≥ {@link KEEP_OWN_COLOUR_ALPHA} are unchanged.
 * Returns `rgb` itself when nothing is visible at all.
 */
export function fillTransparentColour(rgb: Float32Array, alpha: Float32Array, width: number, height: number): Float32Array {
  const pixels = width * height;
  const base: Level = { width, height, premultiplied: new Float32Array(3 * pixels), weight: new Float32Array(pixels) };
  let visible = false;
  for (let i = 0; i < pixels; i++) {
    const a = alpha[i] > 0 ? alpha[i] : 0;
    if (a > 0) visible = true;
    base.weight[i] = a;
    base.premultiplied[i] = rgb[i] * a;
    base.premultiplied[pixels + i] = rgb[pixels + i] * a;
    base.premultiplied[2 * pixels + i] = rgb[2 * pixels + i] * a;
  }
  if (!visible) return rgb;

  const levels: Level[] = [base];
  while (levels[levels.length - 1].width > 1 || levels[levels.length - 1].height > 1) {
    levels.push(pull(levels[levels.length - 1]));
  }

  // Push: each level's colour is its own average where it has weight, blended into the
  // (bilinearly enlarged) colour of the level above where it has little or none.
  const top = levels[levels.length - 1];
  let colour: Float32Array = new Float32Array(3);
  for (let c = 0; c < 3; c++) colour[c] = top.premultiplied[c] / top.weight[0];
  for (let l = levels.length - 2; l >= 1; l--) {
    colour = push(levels[l], colour, levels[l + 1].width, levels[l + 1].height, 1);
  }
  const coarse = levels.length > 1 ? colour : null;
  if (coarse === null) return rgb;
  const filled = push(base, coarse, levels[1].width, levels[1].height, 1 / KEEP_OWN_COLOUR_ALPHA);
  // Opaque-enough pixels keep their exact original values (push's division would round them).
  for (let i = 0; i < pixels; i++) {
    if (alpha[i] >= KEEP_OWN_COLOUR_ALPHA) {
      filled[i] = rgb[i];
      filled[pixels + i] = rgb[pixels + i];
      filled[2 * pixels + i] = rgb[2 * pixels + i];
    }
  }
  return filled;
}

function pull(level: Level): Level {
  const width = Math.ceil(level.width / 2);
  const height = Math.ceil(level.height / 2);
  const plane = width * height;
  const fine = level.width * level.height;
  const premultiplied = new Float32Array(3 * plane);
  const weight = new Float32Array(plane);
  for (let y = 0; y < level.height; y++) {
    for (let x = 0; x < level.width; x++) {
      const from = y * level.width + x;
      const to = (y >> 1) * width + (x >> 1);
      weight[to] += level.weight[from];
      premultiplied[to] += level.premultiplied[from];
      premultiplied[plane + to] += level.premultiplied[fine + from];
      premultiplied[2 * plane + to] += level.premultiplied[2 * fine + from];
    }
  }
  return { width, height, premultiplied, weight };
}

/** Colour of `level`: own average with confidence min(1, weight·gain), else the parent's colour. */
function push(level: Level, parent: Float32Array, parentWidth: number, parentHeight: number, gain: number): Float32Array {
  const { width, height } = level;
  const plane = width * height;
  const parentPlane = parentWidth * parentHeight;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    const py = Math.min(parentHeight - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const y0 = Math.floor(py);
    const y1 = Math.min(parentHeight - 1, y0 + 1);
    const fy = py - y0;
    for (let x = 0; x < width; x++) {
      const px = Math.min(parentWidth - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
      const x0 = Math.floor(px);
      const x1 = Math.min(parentWidth - 1, x0 + 1);
      const fx = px - x0;
      const i = y * width + x;
      const w = level.weight[i];
      const confidence = Math.min(1, w * gain);
      for (let c = 0; c < 3; c++) {
        const p = c * parentPlane;
        const top = parent[p + y0 * parentWidth + x0] * (1 - fx) + parent[p + y0 * parentWidth + x1] * fx;
        const bottom = parent[p + y1 * parentWidth + x0] * (1 - fx) + parent[p + y1 * parentWidth + x1] * fx;
        const inherited = top * (1 - fy) + bottom * fy;
        const own = w > 0 ? level.premultiplied[c * plane + i] / w : 0;
        out[c * plane + i] = own * confidence + inherited * (1 - confidence);
      }
    }
  }
  return out;
}

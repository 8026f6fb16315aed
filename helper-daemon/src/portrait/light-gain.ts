/**
 * How much of the light detail model's band the blend keeps off faces, calibrated per pass
 * against the preset's own detail model. Where x4fast draws the detail branch instead of
 * x4plus, its band is as strong, but less of it passes the agreement gate: x4fast draws its
 * strongest texture where it departs from the source, x4plus where it follows it. So the blend
 * kept 0.02–0.13 less texture ratio off faces (docs/architecture.md, "Light detail off
 * faces"), and by an amount that differs per photo: the fixed gain that restored the camera
 * round trip's texture cost the astronaut's 0.56 dB PSNR-Y. Both models run in the hand-over
 * ring around the faces, so there the pass measures how much gated band each keeps, and lifts
 * x4fast's weight by that ratio (to a power found on the quality bench).
 */
import { agreementGate, detailBandSigma } from "./blend";
import { gaussianBlur } from "../image/filters";
import type { Plane } from "../image/plane";
import type { PixelRect } from "../image/crop";
import { fullDetailCells, type RouteGrid } from "./routing";

/** The calibration's constants, named so the bench can report what it measured. */
export const LIGHT_GAIN = {
  /**
   * The gain is the ring's ratio to this power, 2 for passes up to 2× and 1.5 from 4× (linear
   * between). Chosen on the quality bench (astronaut and camera round trips, ×2 and ×4; the
   * portrait-natural, portrait-print-4x and headshot-hair-lashes presets) as the powers at which
   * every whole-image texture ratio came back within 0.04 of x4plus everywhere, PSNR-Y within
   * 0.06 dB of it; the ratio itself (power 1) left Print 4×'s two 2× passes 0.01–0.09 and the
   * single 4× passes 0.02–0.03 short of texture.
   */
  powerAt2x: 2,
  powerAt4x: 1.5,
  /** The gain is kept within [1, max]: x4fast is never damped below its plain weight. */
  max: 4,
  /**
   * The gain where no face shows where both models ran (a pass without faces, where x4plus
   * runs nowhere): the middle of the calibrated gains seen on the bench (1.5–2.9).
   */
  withoutRing: 2,
  /** Output pixels in the ring below which its ratio is not trusted (a face at the image's edge). */
  minPixels: 256,
};

/** The light detail weight's gain for a ring ratio at a pass's scale (see {@link LIGHT_GAIN}). */
export function lightBandGain(ratio: number | null, scale: number): number {
  const t = LIGHT_GAIN;
  if (ratio === null || !Number.isFinite(ratio) || ratio <= 0) return t.withoutRing;
  const at = Math.min(1, Math.max(0, (scale - 2) / 2));
  const power = t.powerAt2x + at * (t.powerAt4x - t.powerAt2x);
  return Math.min(t.max, Math.max(1, ratio ** power));
}

/**
 * The ratio of the gated band the detail model keeps to the one the light model keeps, where
 * both ran: the output pixels inside the detail model's hand-over ring that lie on the light
 * model's cells or its ring. Null when that ring is smaller than `LIGHT_GAIN.minPixels`.
 * `full` and `light` are the two models' luma over a window at the output size, `sourceLuma`
 * the window's source, and `weights` gives a routed set's weights over that window.
 */
export function ringBandRatio(full: Plane, light: Plane, sourceLuma: Plane, routes: RouteGrid, weights: (cells: Uint8Array) => Plane): number | null {
  const fullWeight = weights(fullDetailCells(routes)).data;
  const lightWeight = weights(routes.lightDetail!).data;
  const gateFull = agreementGate(sourceLuma, full, full.width, full.height).data;
  const gateLight = agreementGate(sourceLuma, light, full.width, full.height).data;
  const sigma = detailBandSigma(full.width / sourceLuma.width);
  const lowFull = gaussianBlur(full, sigma).data;
  const lowLight = gaussianBlur(light, sigma).data;
  let kept = 0;
  let keptLight = 0;
  let pixels = 0;
  for (let i = 0; i < fullWeight.length; i++) {
    if (!(fullWeight[i] > 0 && fullWeight[i] < 1 && lightWeight[i] > 0)) continue;
    kept += (gateFull[i] * (full.data[i] - lowFull[i])) ** 2;
    keptLight += (gateLight[i] * (light.data[i] - lowLight[i])) ** 2;
    pixels++;
  }
  return pixels >= LIGHT_GAIN.minPixels && keptLight > 0 ? Math.sqrt(kept / keptLight) : null;
}

/**
 * The window whose ring calibrates the pass: the one owning the most light cells that touch a
 * detail-model cell (8-neighbourhood), the first such on a tie; −1 when none does. One window
 * calibrates the whole pass, so a 24-megapixel photo's windows share one gain and no window
 * edge shows as a step in texture.
 */
export function calibrationWindow(routes: RouteGrid, owned: readonly PixelRect[]): number {
  const light = routes.lightDetail;
  if (!light) return -1;
  const full = fullDetailCells(routes);
  const { columns, rows, cell } = routes;
  const touching = (r: number, c: number): boolean => {
    for (let dr = -1; dr <= 1; dr++)
      for (let dc = -1; dc <= 1; dc++) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr >= 0 && rr < rows && cc >= 0 && cc < columns && full[rr * columns + cc]) return true;
      }
    return false;
  };
  let best = -1;
  let most = 0;
  owned.forEach((rect, w) => {
    let count = 0;
    // A cell belongs to the window holding its top-left pixel.
    const first = (start: number) => Math.ceil(start / cell);
    for (let r = first(rect.y); r < Math.min(rows, first(rect.y + rect.height)); r++)
      for (let c = first(rect.x); c < Math.min(columns, first(rect.x + rect.width)); c++) if (light[r * columns + c] && touching(r, c)) count++;
    if (count > most) {
      most = count;
      best = w;
    }
  });
  return best;
}

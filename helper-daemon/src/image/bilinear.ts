/**
 * Bilinear sampling of planar float data at continuous coordinates, edges clamped: the one
 * implementation behind the face detector's views, the mesh's crops, face-restore alignment
 * and the selfie matte's lookups.
 */

/** Where one bilinear sample reads: the four neighbours' indices in a plane and the two weights. */
export interface BilinearTap {
  i00: number;
  i10: number;
  i01: number;
  i11: number;
  wx: number;
  wy: number;
}

const sharedTap: BilinearTap = { i00: 0, i10: 0, i01: 0, i11: 0, wx: 0, wy: 0 };

/**
 * The tap at (x, y) in sample coordinates (sample centres at whole numbers; pixel-centre
 * coordinates minus 0.5) on a `width`×`height` grid, clamped to its edges. Returns one shared
 * object that the next call overwrites: the crops' inner loops read it for each channel at
 * once and allocate nothing per sample.
 *
 * @example const tap = bilinearTap(x - 0.5, y - 0.5, w, h); const g = sampleTap(rgb, w * h, tap);
 */
export function bilinearTap(x: number, y: number, width: number, height: number): BilinearTap {
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  sharedTap.i00 = y0 * width + x0;
  sharedTap.i10 = y0 * width + x1;
  sharedTap.i01 = y1 * width + x0;
  sharedTap.i11 = y1 * width + x1;
  sharedTap.wx = cx - x0;
  sharedTap.wy = cy - y0;
  return sharedTap;
}

/** The value at `tap` of the plane that starts at `offset` in `data`. */
export function sampleTap(data: Float32Array, offset: number, tap: BilinearTap): number {
  const top = data[offset + tap.i00] * (1 - tap.wx) + data[offset + tap.i10] * tap.wx;
  const bottom = data[offset + tap.i01] * (1 - tap.wx) + data[offset + tap.i11] * tap.wx;
  return top * (1 - tap.wy) + bottom * tap.wy;
}

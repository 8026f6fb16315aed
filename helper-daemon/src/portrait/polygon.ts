/**
 * Distances to polygons and polylines, for feathered masks: a mask value is a smooth
 * function of the distance to an outline, so its edge is soft at any resolution.
 */
import type { Point } from "./faces";

/** Distance from (x, y) to the segment p–q. */
function segmentDistance(x: number, y: number, p: Point, q: Point): number {
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - p.x) * dx + (y - p.y) * dy) / length2));
  return Math.hypot(x - p.x - t * dx, y - p.y - t * dy);
}

/** Distance from (x, y) to an open polyline. */
export function polylineDistance(line: readonly Point[], x: number, y: number): number {
  if (line.length === 1) return Math.hypot(x - line[0].x, y - line[0].y);
  let best = Infinity;
  for (let i = 1; i < line.length; i++) best = Math.min(best, segmentDistance(x, y, line[i - 1], line[i]));
  return best;
}

/**
 * Signed distance from (x, y) to a closed polygon's outline: negative inside, positive
 * outside (even-odd rule, so a self-touching outline still has a sensible inside).
 */
export function polygonSignedDistance(polygon: readonly Point[], x: number, y: number): number {
  let best = Infinity;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const p = polygon[i];
    const q = polygon[j];
    best = Math.min(best, segmentDistance(x, y, p, q));
    if (p.y > y !== q.y > y && x < ((q.x - p.x) * (y - p.y)) / (q.y - p.y) + p.x) inside = !inside;
  }
  return inside ? -best : best;
}

/** 1 inside, 0 outside, smooth (C¹) in between: falloff from `edge − f` to `edge + f`. */
export function soft(distance: number, edge: number, f: number): number {
  const t = (distance - (edge - f)) / (2 * f);
  if (t <= 0) return 1;
  if (t >= 1) return 0;
  return 1 - t * t * (3 - 2 * t);
}

/**
 * Region mask values that follow a Face Mesh's outlines. Margins and feathers scale with
 * the eye's width (the steadiest size on a face), and never fall below a few mask pixels.
 * Hair stays the keypoint frame's ellipse (the mesh stops at the face oval; masks.ts adds
 * the fringe inside it); the rest
 * (face, eyes with lids and brows, lips, nose, hairline band) are feathered polygons. The
 * hairline band follows the person matte's edge above the face when there is one.
 */
import type { FaceMesh, Point } from "./faces";
import type { MaskName } from "./masks";
import { meshOutlines, pointBounds, type MeshOutlines, type OutlineName } from "./mesh-regions";
import { polygonSignedDistance, polylineDistance, soft } from "./polygon";

/** Region margins as fractions of the eye's width (astronaut at 4×: an eye is ≈ 78 px wide). */
const MARGINS = {
  /** Eye opening grown to take in the lids and lashes (the crease sits ≈ 0.35 eye widths above). */
  eyeLids: 0.35,
  brow: 0.1,
  lips: 0.08,
  nostrils: 0.12,
  /** Half the nose bridge's width. */
  bridge: 0.22,
  /** Half the hairline band's width (the old ellipse band was 0.22 eye distances ≈ 0.5 eye widths). */
  hairline: 0.5,
  feather: 0.2,
} as const;

interface Bounded {
  readonly points: readonly Point[];
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** One face's outlines at one mask scale, with bounds that let most pixels skip the distance. */
export interface MeshMaskGeometry {
  readonly eyeWidth: number;
  readonly feather: number;
  readonly shapes: Readonly<Record<OutlineName | "noseBridge" | "hairline", Bounded>>;
}

/**
 * Prepares a face's mesh for {@link meshMasksAt} at `scale`; `minFeather` is in mask pixels.
 * `matteHairline` (source pixels, the person matte's edge above the face) replaces the face
 * oval's upper arc as the line the hairline band follows.
 */
export function meshMaskGeometry(mesh: FaceMesh, scale: number, minFeather: number, matteHairline?: readonly Point[]): MeshMaskGeometry {
  const outlines: MeshOutlines = meshOutlines(mesh, scale);
  const hairline = matteHairline ? matteHairline.map((p) => ({ x: (p.x + 0.5) * scale - 0.5, y: (p.y + 0.5) * scale - 0.5 })) : outlines.hairline;
  const feather = Math.max(minFeather, MARGINS.feather * outlines.eyeWidth);
  const reach = (MARGINS.hairline + MARGINS.eyeLids) * outlines.eyeWidth + feather;
  const bounded = (points: readonly Point[]): Bounded => {
    const b = pointBounds(points);
    return { points, x0: b.x0 - reach, y0: b.y0 - reach, x1: b.x1 + reach, y1: b.y1 + reach };
  };
  const shapes = Object.fromEntries(Object.entries(outlines.polygons).map(([name, points]) => [name, bounded(points)])) as Record<OutlineName, Bounded>;
  return { eyeWidth: outlines.eyeWidth, feather, shapes: { ...shapes, noseBridge: bounded(outlines.noseBridge), hairline: bounded(hairline) } };
}

function near(shape: Bounded, x: number, y: number): boolean {
  return x >= shape.x0 && x <= shape.x1 && y >= shape.y0 && y <= shape.y1;
}

/** A feathered polygon grown by `margin` eye widths; 0 without measuring when far away. */
function polygonValue(g: MeshMaskGeometry, shape: Bounded, x: number, y: number, margin: number): number {
  if (!near(shape, x, y)) return 0;
  return soft(polygonSignedDistance(shape.points, x, y), margin * g.eyeWidth, g.feather);
}

/**
 * Overwrites the feature masks in `out` (already holding the keypoint frame's values, whose
 * hair ellipse is kept) with the mesh's outlines at mask pixel (x, y). `upperFade` is the
 * frame's 1-above-the-eyes, 0-towards-the-ears weight that confines the hairline band;
 * `hairEllipse`, the frame's hair ellipse before the keypoint face ellipse was cut out of it.
 */
export function meshMasksAt(g: MeshMaskGeometry, x: number, y: number, upperFade: number, hairEllipse: number, out: Record<MaskName, number>): void {
  const s = g.shapes;
  out.face = polygonValue(g, s.faceOval, x, y, 0);
  out.eyes = Math.max(
    polygonValue(g, s.rightEye, x, y, MARGINS.eyeLids),
    polygonValue(g, s.leftEye, x, y, MARGINS.eyeLids),
    polygonValue(g, s.rightBrow, x, y, MARGINS.brow),
    polygonValue(g, s.leftBrow, x, y, MARGINS.brow),
  );
  out.lips = polygonValue(g, s.lips, x, y, MARGINS.lips);
  const bridge = near(s.noseBridge, x, y) ? soft(polylineDistance(s.noseBridge.points, x, y), MARGINS.bridge * g.eyeWidth, g.feather) : 0;
  out.noseBridge = Math.max(bridge, polygonValue(g, s.nostrils, x, y, MARGINS.nostrils));
  const band = near(s.hairline, x, y) ? soft(polylineDistance(s.hairline.points, x, y), MARGINS.hairline * g.eyeWidth, g.feather) : 0;
  out.hairline = band * upperFade;
  out.skin = out.face * (1 - Math.max(out.eyes, out.lips));
  // Above the eyes hair reaches down to the mesh's oval: the keypoint face ellipse, which
  // `out.hair` was cut by, rises higher and left a band over the forehead without hair.
  out.hair = (1 - out.face) * (upperFade * hairEllipse + (1 - upperFade) * out.hair);
  out.background = 1 - Math.max(out.face, out.hair, out.hairline);
}


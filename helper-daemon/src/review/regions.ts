/**
 * Where a retoucher looks at 100 %: rectangles for the eyes, nose bridge, lips and hairline of
 * a face, and its smooth skin (cheeks, forehead, chin: the face's skin mask without the nose
 * and the hairline band, where blotches show), each with its feathered mask. With a Face
 * Mesh each feature is the bounds of its own outline (the polygons the blend masks use) plus
 * the mask's margin; without one (small or profile faces) each is laid
 * out from BlazeFace's keypoints in a frame aligned with the eyes (origin between them,
 * unit = eye distance, v towards the mouth), so a tilted head gets the bounding box of its
 * tilted region. Rectangles are in whole source pixels; the output's are exactly `scale`
 * times larger, so before and after cover the same area.
 */
import type { Face, FaceMesh, Point } from "../portrait/faces";
import { faceFrame, regionMask, toFaceFrame, type FaceFrame } from "../portrait/masks";
import { meshOutlines, pointBounds } from "../portrait/mesh-regions";
import type { Plane } from "../image/plane";

/** The facial features the review scores for halo, texture, added detail, colour and banding. */
export const FEATURE_REGIONS = ["eyes", "noseBridge", "lips", "hairline"] as const;
export type FeatureRegionName = (typeof FEATURE_REGIONS)[number];
/** The regions the review crops and scores, in the order a retoucher checks them: the features, then the skin (for blotches). */
export const REVIEW_REGIONS = [...FEATURE_REGIONS, "skin"] as const;
export type ReviewRegionName = (typeof REVIEW_REGIONS)[number];

/** A review region's rectangle and the feathered mask (0..1, at the source's size) that weights its scores. */
export interface ReviewRegionArea {
  readonly rect: PixelRect;
  readonly mask: Plane;
}

/** Skin counts where its mask is at least this: the rectangle bounds the skin, not its feather. */
const SKIN_BOUNDS_MIN = 0.5;

/** A rectangle in whole pixels. */
export interface PixelRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A region's extent in the face frame (u across, v down, both in eye distances). */
interface FrameRect {
  readonly u0: number;
  readonly u1: number;
  readonly v0: number;
  readonly v1: number;
}

/** Regions smaller than this (source pixels, either side) after clipping are not reviewed. */
const MIN_REGION_SIDE = 3;

/** Each region's extent in the frame. Proportions measured on frontal portraits. */
function frameRects(face: Face, frame: FaceFrame): Record<FeatureRegionName, FrameRect> {
  const re = toFaceFrame(frame, face.keypoints.rightEye);
  const le = toFaceFrame(frame, face.keypoints.leftEye);
  const nose = toFaceFrame(frame, face.keypoints.noseTip);
  const mouth = toFaceFrame(frame, face.keypoints.mouth);
  // The top of the detector's box sits on the forehead near the hairline; the band stops
  // just above the brows (about 0.33 eye distances above the eyes).
  const boxTop = toFaceFrame(frame, { x: face.box.x + face.box.width / 2, y: face.box.y });
  const hairlineBottom = Math.min(boxTop.v + 0.3, -0.38);
  return {
    // Both eyes with the lashes and lid crease above, the lower lid below.
    eyes: { u0: Math.min(re.u, le.u) - 0.45, u1: Math.max(re.u, le.u) + 0.45, v0: Math.min(re.v, le.v) - 0.35, v1: Math.max(re.v, le.v) + 0.22 },
    // From between the eyes down to the tip, wide enough at the tip for the nostrils.
    noseBridge: { u0: Math.min(-0.2, nose.u - 0.32), u1: Math.max(0.2, nose.u + 0.32), v0: -0.1, v1: nose.v + 0.15 },
    // Cupid's bow to the lower lip, corners included.
    lips: { u0: mouth.u - 0.55, u1: mouth.u + 0.55, v0: mouth.v - 0.28, v1: mouth.v + 0.3 },
    // A band across the top of the face, above the brows, where forehead meets hair.
    hairline: { u0: -0.85, u1: 0.85, v0: hairlineBottom - 0.6, v1: hairlineBottom },
  };
}

/** The image-aligned bounding box of a frame rectangle, in whole pixels, clipped to the image. */
function toPixels(frame: FaceFrame, r: FrameRect, width: number, height: number): PixelRect | undefined {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const u of [r.u0, r.u1])
    for (const v of [r.v0, r.v1]) {
      const x = frame.ox + (u * frame.ux + v * frame.vx) * frame.d;
      const y = frame.oy + (u * frame.uy + v * frame.vy) * frame.d;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  const left = Math.max(0, Math.floor(x0));
  const top = Math.max(0, Math.floor(y0));
  const right = Math.min(width, Math.ceil(x1));
  const bottom = Math.min(height, Math.ceil(y1));
  if (right - left < MIN_REGION_SIDE || bottom - top < MIN_REGION_SIDE) return undefined;
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The review regions of one face, in source pixels, clipped to the `width`×`height` source.
 * A region that falls (almost) outside the image is left out.
 *
 * @example const { eyes } = faceReviewRegions(face, 128, 128); // { x: 24, y: 48, width: 82, height: 26 }
 */
export function faceReviewRegions(face: Face, width: number, height: number): Partial<Record<ReviewRegionName, PixelRect>> {
  const areas = faceReviewAreas(face, width, height);
  return Object.fromEntries(Object.entries(areas).map(([name, area]) => [name, area.rect]));
}

/**
 * The review regions of one face with their masks (the blend's feathered masks at the
 * source's size): each feature's own, and for the skin the face's skin mask without the
 * nose and the hairline band, bounded where it reaches {@link SKIN_BOUNDS_MIN}.
 *
 * @example const { skin } = faceReviewAreas(face, 128, 128); // skin.rect, skin.mask
 */
export function faceReviewAreas(face: Face, width: number, height: number): Partial<Record<ReviewRegionName, ReviewRegionArea>> {
  const rects = featureRects(face, width, height);
  const masks = Object.fromEntries(FEATURE_REGIONS.map((name) => [name, regionMask([face], name, width, height, 1)])) as Record<FeatureRegionName, Plane>;
  const areas: Partial<Record<ReviewRegionName, ReviewRegionArea>> = {};
  for (const name of FEATURE_REGIONS) {
    const rect = rects[name];
    if (rect) areas[name] = { rect, mask: masks[name] };
  }
  const skin = regionMask([face], "skin", width, height, 1);
  for (let i = 0; i < skin.data.length; i++) skin.data[i] *= 1 - Math.max(masks.noseBridge.data[i], masks.hairline.data[i]);
  const skinRect = maskBounds(skin, SKIN_BOUNDS_MIN);
  if (skinRect) areas.skin = { rect: skinRect, mask: skin };
  return areas;
}

/** The bounds of a mask's pixels at or above `min`, if they are at least MIN_REGION_SIDE either side. */
function maskBounds(mask: Plane, min: number): PixelRect | undefined {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let y = 0; y < mask.height; y++)
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] < min) continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + 1);
      y1 = Math.max(y1, y + 1);
    }
  if (x1 - x0 < MIN_REGION_SIDE || y1 - y0 < MIN_REGION_SIDE) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function featureRects(face: Face, width: number, height: number): Partial<Record<FeatureRegionName, PixelRect>> {
  if (face.mesh) return meshReviewRegions(face.mesh, width, height, face.matteHairline);
  const frame = faceFrame(face);
  const rects = frameRects(face, frame);
  const out: Partial<Record<FeatureRegionName, PixelRect>> = {};
  for (const name of FEATURE_REGIONS) {
    const rect = toPixels(frame, rects[name], width, height);
    if (rect) out[name] = rect;
  }
  return out;
}

/** A source rectangle at `scale` (an integer): the same area in output pixels. */
export function scaleRect(rect: PixelRect, scale: number): PixelRect {
  return { x: rect.x * scale, y: rect.y * scale, width: rect.width * scale, height: rect.height * scale };
}

/**
 * Each region's outline points and margin (in eye widths) around them: the eyes with their
 * lids and lashes (as the eye mask grows them), the bridge and nostrils, the lips, and the
 * hairline with half the band's width: the person matte's edge above the face when there is
 * one, else the face oval's arc over the forehead (ear-level ends left out).
 */
function meshRegionOutlines(mesh: FaceMesh, matteHairline?: readonly Point[]): { eyeWidth: number; regions: Record<FeatureRegionName, { points: readonly Point[]; margin: number }> } {
  const { polygons, noseBridge, hairline, eyeWidth } = meshOutlines(mesh);
  return {
    eyeWidth,
    regions: {
      eyes: { points: [...polygons.rightEye, ...polygons.leftEye], margin: 0.45 },
      noseBridge: { points: [...noseBridge, ...polygons.nostrils], margin: 0.25 },
      lips: { points: polygons.lips, margin: 0.2 },
      hairline: { points: matteHairline ?? hairline.slice(3, -3), margin: 0.5 },
    },
  };
}

function meshReviewRegions(mesh: FaceMesh, width: number, height: number, matteHairline?: readonly Point[]): Partial<Record<FeatureRegionName, PixelRect>> {
  const { eyeWidth, regions } = meshRegionOutlines(mesh, matteHairline);
  const out: Partial<Record<FeatureRegionName, PixelRect>> = {};
  for (const name of FEATURE_REGIONS) {
    const { points, margin } = regions[name];
    const b = pointBounds(points);
    const grow = margin * eyeWidth;
    const left = Math.max(0, Math.floor(b.x0 - grow));
    const top = Math.max(0, Math.floor(b.y0 - grow));
    const right = Math.min(width, Math.ceil(b.x1 + grow));
    const bottom = Math.min(height, Math.ceil(b.y1 + grow));
    if (right - left >= MIN_REGION_SIDE && bottom - top >= MIN_REGION_SIDE) out[name] = { x: left, y: top, width: right - left, height: bottom - top };
  }
  return out;
}

/**
 * Feature outlines from a Face Mesh: closed polygons (eyes, brows, lips, nose, face oval)
 * and open polylines (the nose bridge, the hairline arc), in the pixels of an image
 * `scale` times the mesh's source. The landmark indices follow MediaPipe's standard
 * connection lists (mediapipe/python/solutions/face_mesh_connections.py, Apache-2.0:
 * FACEMESH_LEFT_EYE, FACEMESH_RIGHT_EYE, the two EYEBROW lists, FACEMESH_LIPS' outer ring,
 * FACEMESH_NOSE and FACEMESH_FACE_OVAL), each chain written once around its loop.
 * "Left" and "right" are the subject's, as in MediaPipe.
 */
import type { FaceMesh, Point } from "./faces";

/** Outline chains as landmark indices; polygons close back to their first point. */
export const MESH_OUTLINES = {
  rightEye: [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
  leftEye: [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
  rightBrow: [46, 53, 52, 65, 55, 107, 66, 105, 63, 70],
  leftBrow: [276, 283, 282, 295, 285, 336, 296, 334, 293, 300],
  lips: [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185],
  /** The nose tip and nostrils: FACEMESH_NOSE's lower loop. */
  nostrils: [98, 97, 2, 326, 327, 294, 278, 344, 440, 275, 4, 45, 220, 115, 48, 64],
  faceOval: [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109],
} as const;

/** FACEMESH_NOSE's bridge, from between the eyes down to the tip (an open line). */
export const NOSE_BRIDGE_LINE = [168, 6, 197, 195, 5, 4] as const;
/** The face oval's upper arc, ear to ear over the forehead (an open line): where the hairline runs. */
export const HAIRLINE_ARC = [234, 127, 162, 21, 54, 103, 67, 109, 10, 338, 297, 332, 284, 251, 389, 356, 454] as const;

export type OutlineName = keyof typeof MESH_OUTLINES;

/** A face's outlines in mask pixels, plus the eye width that sets each region's margins. */
export interface MeshOutlines {
  readonly polygons: Readonly<Record<OutlineName, readonly Point[]>>;
  readonly noseBridge: readonly Point[];
  readonly hairline: readonly Point[];
  /** Mean corner-to-corner width of the two eyes, in mask pixels. */
  readonly eyeWidth: number;
}

/** Maps mesh landmarks (source pixels) to a mask `scale` times larger: pixel centres scale about their centres. */
function meshPoint(mesh: FaceMesh, index: number, scale: number): Point {
  return { x: (mesh.points[3 * index] + 0.5) * scale - 0.5, y: (mesh.points[3 * index + 1] + 0.5) * scale - 0.5 };
}

/**
 * The outlines of one face's mesh at `scale` (1 = the source).
 * @example const { polygons } = meshOutlines(face.mesh, 4); // polygons.lips: 20 points in output pixels
 */
export function meshOutlines(mesh: FaceMesh, scale = 1): MeshOutlines {
  const chain = (indices: readonly number[]): Point[] => indices.map((index) => meshPoint(mesh, index, scale));
  const polygons = Object.fromEntries(Object.entries(MESH_OUTLINES).map(([name, indices]) => [name, chain(indices)])) as Record<OutlineName, Point[]>;
  const width = (a: number, b: number): number => {
    const p = meshPoint(mesh, a, scale);
    const q = meshPoint(mesh, b, scale);
    return Math.hypot(p.x - q.x, p.y - q.y);
  };
  return { polygons, noseBridge: chain(NOSE_BRIDGE_LINE), hairline: chain(HAIRLINE_ARC), eyeWidth: (width(33, 133) + width(263, 362)) / 2 };
}

/** Axis-aligned bounds of some points. */
export function pointBounds(points: readonly Point[]): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return { x0, y0, x1, y1 };
}

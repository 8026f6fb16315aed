/**
 * The portrait pipeline's face-restore step: after the upscale, every face found on the
 * source is restored in the result (faces mapped to the output's pixels) with the preset's
 * or the job's brought model, mixed in by its strength.
 */
import { PortraitError, type FaceRestoreSettings } from "@portrait-upscale/shared";
import type { RgbImage } from "../image/image";
import type { Face, Point } from "../portrait/faces";
import { restoreFaces, type RestoreFace } from "./restore-faces";

/** A face found on the source, in the pixels of a result `scale`× larger. */
export function scaleFace(face: Face, scale: number): Face {
  const at = (p: Point): Point => ({ x: p.x * scale, y: p.y * scale });
  const { box, keypoints } = face;
  return {
    ...face,
    box: { x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale },
    keypoints: {
      rightEye: at(keypoints.rightEye),
      leftEye: at(keypoints.leftEye),
      noseTip: at(keypoints.noseTip),
      mouth: at(keypoints.mouth),
      rightEar: at(keypoints.rightEar),
      leftEar: at(keypoints.leftEar),
    },
  };
}

/**
 * Restores the `faces` (source pixels) of `upscaled`, the source `scale`× larger.
 * `restorer` runs a brought model by its id; without one the host cannot restore (INTERNAL).
 *
 * @example const image = await restoreUpscaledFaces(upscaled, faces, 4, { model: "user:faces", strength: 0.5 }, (id) => faceRestoreRunner(pool, id, [-1, 1]));
 */
export async function restoreUpscaledFaces(
  upscaled: RgbImage,
  faces: readonly Face[],
  scale: number,
  settings: FaceRestoreSettings,
  restorer: ((modelId: string) => RestoreFace) | undefined,
  signal?: AbortSignal,
  onFace?: (done: number) => void,
): Promise<RgbImage> {
  if (!restorer) throw new PortraitError("INTERNAL", "Face restore was asked for, but this host runs no face-restore models.");
  return restoreFaces(
    upscaled,
    faces.map((face) => scaleFace(face, scale)),
    restorer(settings.model),
    { strength: settings.strength, ...(signal ? { signal } : {}), ...(onFace ? { onFace } : {}) },
  );
}

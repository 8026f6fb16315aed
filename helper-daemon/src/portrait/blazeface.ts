/**
 * BlazeFace's raw outputs as detections: the 896 anchors of its two heads, the decoding of
 * scores, boxes and six keypoints, and the weighted non-maximum suppression that merges
 * overlapping detections. Pure functions over numbers; faces.ts decides where to look.
 */
import { invalidParameter } from "@portrait-upscale/shared";

/** One detection before merging: box and keypoints as flat numbers in image pixels. */
export interface RawDetection {
  score: number;
  /** x0, y0, x1, y1 */
  box: [number, number, number, number];
  /** 6 × (x, y) */
  points: number[];
}

/** Anchor centres, as fractions of the input side: 16×16 cells with 2 anchors each, then 8×8 with 6 (896 in all). */
const ANCHORS: Float32Array = (() => {
  const a = new Float32Array(896 * 2);
  let i = 0;
  for (const [cells, perCell] of [
    [16, 2],
    [8, 6],
  ] as const) {
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++)
        for (let k = 0; k < perCell; k++) {
          a[i++] = (x + 0.5) / cells;
          a[i++] = (y + 0.5) / cells;
        }
  }
  return a;
})();

/**
 * Decodes BlazeFace's raw outputs into detections in detector-input pixels (0..size):
 * sigmoid scores, anchor-relative centre, size and six keypoints.
 */
export function decodeBlazeFace(outputs: readonly Float32Array[], size: number, threshold: number): RawDetection[] {
  const pick = (length: number): Float32Array => {
    const found = outputs.find((o) => o.length === length);
    if (!found) throw invalidParameter(`a detector output of length ${length}`, "outputs", outputs.map((o) => o.length).join(","));
    return found;
  };
  const scores = [pick(512), pick(384)];
  const boxes = [pick(512 * 16), pick(384 * 16)];
  const logit = Math.log(threshold / (1 - threshold));
  const result: RawDetection[] = [];
  for (let i = 0; i < 896; i++) {
    const head = i < 512 ? 0 : 1;
    const j = head === 0 ? i : i - 512;
    const raw = scores[head][j];
    if (!(raw >= logit)) continue;
    const row = boxes[head].subarray(j * 16, j * 16 + 16);
    const ax = ANCHORS[2 * i] * size;
    const ay = ANCHORS[2 * i + 1] * size;
    const cx = ax + row[0];
    const cy = ay + row[1];
    const bw = row[2];
    const bh = row[3];
    const points: number[] = [];
    for (let k = 0; k < 6; k++) points.push(ax + row[4 + 2 * k], ay + row[5 + 2 * k]);
    result.push({ score: 1 / (1 + Math.exp(-raw)), box: [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], points });
  }
  return result;
}

/** Intersection over union of two boxes (x0, y0, x1, y1). */
export function boxIou(a: RawDetection["box"], b: RawDetection["box"]): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Weighted non-maximum suppression (as MediaPipe does): the best detection absorbs every
 * overlapping one, and the merged box and keypoints are the score-weighted mean, which is
 * steadier than keeping the single best anchor.
 */
export function weightedNms(detections: readonly RawDetection[], iouThreshold: number): RawDetection[] {
  const remaining = [...detections].sort((a, b) => b.score - a.score || a.box[0] - b.box[0] || a.box[1] - b.box[1]);
  const merged: RawDetection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    const group: RawDetection[] = [];
    for (let i = remaining.length - 1; i >= 0; i--) {
      if (boxIou(best.box, remaining[i].box) > iouThreshold) group.push(...remaining.splice(i, 1));
    }
    let total = 0;
    const box = [0, 0, 0, 0];
    const points = new Array<number>(12).fill(0);
    for (const d of group) {
      total += d.score;
      for (let k = 0; k < 4; k++) box[k] += d.box[k] * d.score;
      for (let k = 0; k < 12; k++) points[k] += d.points[k] * d.score;
    }
    merged.push({
      score: best.score,
      box: box.map((v) => v / total) as RawDetection["box"],
      points: points.map((v) => v / total),
    });
  }
  return merged;
}

/**
 * The review's contact sheet: one PNG a person can look at. A row per face, a cell per
 * region; each cell shows the source enlarged to the output scale beside the result at
 * 100 % (or an integer zoom of it when the region is tiny), the region's name, its scores
 * and pass/warn. Pixels are composed with sharp; text is an SVG overlay (sharp renders SVG)
 * in generic font families, so it renders wherever fontconfig finds any sans-serif font.
 */
import sharp, { type OverlayOptions } from "sharp";
import { invalidParameter } from "@portrait-upscale/shared";
import { planarToInterleavedU8 } from "../image/image";
import type { RgbImage } from "../image/image";
import { resampleImage } from "../image/resample";
import { cropImage } from "../image/crop";
import { areaLabel } from "./advice";
import type { ReviewFaceReport, ReviewRegionReport, ReviewReport } from "./build-review";
import { REVIEW_REGIONS, type PixelRect } from "./regions";
import { scoreLimits } from "./thresholds";
import { SCORE_NAMES, type ScoreName } from "./scores";

/** Each score's short label and digits on a cell. */
const SCORE_LABELS: Readonly<Record<ScoreName, readonly [string, number]>> = {
  halo: ["halo", 3],
  textureRatio: ["texture", 2],
  addedDetail: ["added", 2],
  deltaE: ["ΔE", 2],
  banding: ["banding", 1],
  mottling: ["mottling", 2],
};

/** How the source is enlarged for the "before" panel. */
export type SourceKernel = "nearest" | "lanczos3";

export interface ContactSheetOptions {
  /** Default Lanczos-3, what a plain enlargement in an editor looks like; nearest shows the source's pixels. */
  readonly sourceKernel?: SourceKernel;
}

/** The images the report was made from. */
export interface ContactSheetImages {
  readonly source: RgbImage;
  readonly result: RgbImage;
}

/** The box each panel is shown in; larger regions show their centre at 100 %. */
export const PANEL_WIDTH = 256;
export const PANEL_HEIGHT = 192;

const GAP = 8;
const MARGIN = 16;
const CAPTION_HEIGHT = 18;
const LABEL_HEIGHT = 58;
const ROW_TITLE_HEIGHT = 26;
const LINE_HEIGHT = 18;
const CELL_WIDTH = 2 * PANEL_WIDTH + GAP;
const CELL_HEIGHT = CAPTION_HEIGHT + PANEL_HEIGHT + LABEL_HEIGHT;
const COLUMNS = REVIEW_REGIONS.length;
const MAX_ADVICE_LINES = 8;

const COLOURS = {
  background: "#1e1e1e",
  panel: "#2d2d2d",
  frame: "#555555",
  text: "#e8e8e8",
  muted: "#a0a0a0",
  pass: "#5cc86e",
  warn: "#f0a030",
} as const;

/** The sheet's size for a report: width by the region columns, height by the faces and advice lines. */
export function contactSheetSize(report: ReviewReport): { width: number; height: number } {
  const rows = Math.max(1, report.faces.length);
  const columns = report.faces.length === 0 ? 1 : COLUMNS;
  const width = 2 * MARGIN + columns * CELL_WIDTH + (columns - 1) * 2 * GAP;
  const height = MARGIN + headerHeight(report) + rows * (ROW_TITLE_HEIGHT + CELL_HEIGHT + GAP) + MARGIN;
  return { width: Math.max(width, 2 * MARGIN + 2 * CELL_WIDTH), height };
}

function headerHeight(report: ReviewReport): number {
  return LINE_HEIGHT * (2 + Math.min(report.advice.length, MAX_ADVICE_LINES)) + GAP;
}

/**
 * Renders the contact sheet of a review as PNG bytes.
 *
 * @example const png = await renderContactSheet(report, { source, result });
 */
export async function renderContactSheet(
  report: ReviewReport,
  images: ContactSheetImages,
  options: ContactSheetOptions = {},
): Promise<Uint8Array> {
  const { source, result } = images;
  if (source.width !== report.source.width || source.height !== report.source.height) {
    throw invalidParameter(`a source of ${report.source.width}×${report.source.height}`, "source", `${source.width}×${source.height}`);
  }
  if (result.width !== report.output.width || result.height !== report.output.height) {
    throw invalidParameter(`a result of ${report.output.width}×${report.output.height}`, "result", `${result.width}×${result.height}`);
  }
  const kernel = options.sourceKernel ?? "lanczos3";
  const { width, height } = contactSheetSize(report);
  const composites: OverlayOptions[] = [];
  const svg: string[] = [];

  // Header: the verdict, what was compared, then the advice.
  let y = MARGIN;
  const verdictColour = report.verdict === "pass" ? COLOURS.pass : COLOURS.warn;
  const faceWord = report.facesFound === 1 ? "1 face" : `${report.facesFound} faces`;
  svg.push(
    text(MARGIN, y + 14, "Review:", { size: 16, weight: "bold" }) +
      text(MARGIN + 76, y + 14, report.verdict.toUpperCase(), { size: 16, weight: "bold", fill: verdictColour }) +
      text(
        MARGIN + 140,
        y + 14,
        `${faceWord} · ${report.source.width}×${report.source.height} → ${report.output.width}×${report.output.height} (${report.scale}×) · ` +
          `compared with the ${comparisonWords(report.comparedWith)}`,
        { size: 13, fill: COLOURS.muted },
      ),
  );
  y += LINE_HEIGHT + 4;
  const shown = report.advice.slice(0, MAX_ADVICE_LINES);
  if (shown.length === 0) svg.push(text(MARGIN, y + 13, "No advice: every region is within its limits.", { size: 13 }));
  for (const line of shown) {
    svg.push(text(MARGIN, y + 13, `• ${line}`, { size: 13 }));
    y += LINE_HEIGHT;
  }
  if (report.advice.length > shown.length) svg.push(text(MARGIN, y + 13, `… and ${report.advice.length - shown.length} more in review.json`, { size: 13, fill: COLOURS.muted }));
  y = MARGIN + headerHeight(report);

  const rows: { title: string; cells: (ReviewRegionReport | string)[] }[] =
    report.faces.length === 0 && report.image
      ? [{ title: "No face found: whole image", cells: [report.image] }]
      : report.faces.map((face) => ({ title: faceTitle(face), cells: faceCells(face) }));

  for (const row of rows) {
    svg.push(text(MARGIN, y + 17, row.title, { size: 14, weight: "bold" }));
    y += ROW_TITLE_HEIGHT;
    row.cells.forEach((cell, column) => {
      const x = MARGIN + column * (CELL_WIDTH + 2 * GAP);
      if (typeof cell === "string") {
        svg.push(text(x, y + CAPTION_HEIGHT + PANEL_HEIGHT / 2, `${cell}: outside the image, not reviewed`, { size: 13, fill: COLOURS.muted }));
        return;
      }
      const view = viewOf(cell.rect);
      const after = cropImage(result, view.rect);
      const before = enlargedSource(source, view.rect, report.scale, kernel);
      const zoomPercent = `${view.zoom * 100} %`;
      const enlargement = `${report.scale}× ${kernel === "nearest" ? "nearest" : "Lanczos"}`;
      svg.push(text(x, y + 13, `before · source ${enlargement} · ${zoomPercent}`, { size: 12, fill: COLOURS.muted }));
      svg.push(text(x + PANEL_WIDTH + GAP, y + 13, `after · result · ${zoomPercent}`, { size: 12, fill: COLOURS.muted }));
      for (const [image, left] of [
        [before, x],
        [after, x + PANEL_WIDTH + GAP],
      ] as const) {
        const shownImage = view.zoom === 1 ? image : zoomNearest(image, view.zoom);
        const top = y + CAPTION_HEIGHT;
        svg.push(`<rect x="${left - 0.5}" y="${top - 0.5}" width="${PANEL_WIDTH + 1}" height="${PANEL_HEIGHT + 1}" fill="none" stroke="${COLOURS.frame}"/>`);
        composites.push({
          input: Buffer.from(planarToInterleavedU8(shownImage, 3)),
          raw: { width: shownImage.width, height: shownImage.height, channels: 3 },
          left: left + Math.floor((PANEL_WIDTH - shownImage.width) / 2),
          top: top + Math.floor((PANEL_HEIGHT - shownImage.height) / 2),
        });
      }
      svg.push(cellLabel(cell, x, y + CAPTION_HEIGHT + PANEL_HEIGHT));
    });
    y += CELL_HEIGHT + GAP;
  }

  // Panel backgrounds go under the pixels; the SVG (frames and text) goes on top.
  const backgrounds = svgDocument(width, height, panelBackgrounds(rows.map((r) => r.cells), report));
  const overlay = svgDocument(width, height, svg.join("\n"));
  const composed = await sharp({ create: { width, height, channels: 3, background: COLOURS.background } })
    .composite([{ input: Buffer.from(backgrounds), left: 0, top: 0 }, ...composites, { input: Buffer.from(overlay), left: 0, top: 0 }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  // Compositing SVG adds an alpha channel; the sheet is opaque, so it is written as RGB.
  const png = await sharp(composed.data, { raw: { width, height, channels: composed.info.channels } })
    .removeAlpha()
    .png({ compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

function comparisonWords(kind: ReviewReport["comparedWith"]): string {
  return kind === "fidelity" ? "fidelity branch" : kind === "reference" ? "reference" : "source";
}

function faceTitle(face: ReviewFaceReport): string {
  return `Face ${face.index + 1} · ${face.widthPx} px wide in the source · detector score ${face.score.toFixed(2)}`;
}

function faceCells(face: ReviewFaceReport): (ReviewRegionReport | string)[] {
  return REVIEW_REGIONS.map((name) => face.regions.find((r) => r.name === name) ?? areaLabel(name));
}

/** The largest before (or after) half of a region crop, so a pair fits a narrow panel's width. */
export const CROP_HALF_WIDTH = 128;
export const CROP_HALF_HEIGHT = 96;
/** Pixels between the two halves of a crop, in the sheet's frame colour. */
const CROP_GAP = 2;
/** At most this many faces get crops: a group photo's crops would outgrow the panel and the socket. */
export const MAX_CROP_FACES = 4;

/** One region's before/after crop: the source enlarged (left) beside the result (right), as PNG. */
export interface RegionCrop {
  /** The face's index; absent for the whole-image crop when no face was found. */
  readonly face?: number;
  readonly region: string;
  readonly width: number;
  readonly height: number;
  readonly png: Uint8Array;
}

/**
 * Renders a small before/after PNG per reviewed region (per face, up to {@link MAX_CROP_FACES}),
 * in the order of the report: what a panel shows as thumbnails beside the review's checks.
 * Each half shows the region whole at an integer zoom, or its centre at 100 %, like the sheet.
 *
 * @example const crops = await renderRegionCrops(report, { source, result });
 */
export async function renderRegionCrops(report: ReviewReport, images: ContactSheetImages, options: ContactSheetOptions = {}): Promise<RegionCrop[]> {
  const kernel = options.sourceKernel ?? "lanczos3";
  const cells: { face?: number; cell: ReviewRegionReport }[] =
    report.faces.length === 0
      ? report.image
        ? [{ cell: report.image }]
        : []
      : report.faces
          .slice(0, MAX_CROP_FACES)
          .flatMap((face) => REVIEW_REGIONS.flatMap((name) => face.regions.filter((r) => r.name === name).map((cell) => ({ face: face.index, cell }))));
  const crops: RegionCrop[] = [];
  for (const { face, cell } of cells) {
    const view = viewOf(cell.rect, CROP_HALF_WIDTH, CROP_HALF_HEIGHT);
    const after = cropImage(images.result, view.rect);
    const before = enlargedSource(images.source, view.rect, report.scale, kernel);
    const halves = view.zoom === 1 ? [before, after] : [zoomNearest(before, view.zoom), zoomNearest(after, view.zoom)];
    const half = halves[0];
    const width = 2 * half.width + CROP_GAP;
    const height = half.height;
    const composed = await sharp({ create: { width, height, channels: 3, background: COLOURS.frame } })
      .composite(
        halves.map((image, i) => ({
          input: Buffer.from(planarToInterleavedU8(image, 3)),
          raw: { width: image.width, height: image.height, channels: 3 as const },
          left: i * (half.width + CROP_GAP),
          top: 0,
        })),
      )
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Compositing adds an alpha channel; an opaque RGB PNG is a quarter smaller on the wire.
    const png = await sharp(composed.data, { raw: { width, height, channels: composed.info.channels } })
      .removeAlpha()
      .png({ compressionLevel: 9 })
      .toBuffer();
    crops.push({ ...(face !== undefined ? { face } : {}), region: cell.name, width, height, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) });
  }
  return crops;
}

/**
 * What a panel shows of a region: all of it at the largest integer zoom that fits, or, when
 * it is larger than the panel, its centre at 100 % (never shrunk: the point is to see pixels).
 */
function viewOf(rect: PixelRect, boxWidth = PANEL_WIDTH, boxHeight = PANEL_HEIGHT): { rect: PixelRect; zoom: number } {
  const zoom = Math.max(1, Math.min(8, Math.floor(Math.min(boxWidth / rect.width, boxHeight / rect.height))));
  const width = Math.min(rect.width, Math.floor(boxWidth / zoom));
  const height = Math.min(rect.height, Math.floor(boxHeight / zoom));
  return {
    rect: { x: rect.x + Math.floor((rect.width - width) / 2), y: rect.y + Math.floor((rect.height - height) / 2), width, height },
    zoom,
  };
}

/**
 * The source enlarged to the output scale, cut to the displayed rectangle. Only the source
 * pixels under it (plus a margin that keeps Lanczos' neighbourhood real) are enlarged.
 */
function enlargedSource(source: RgbImage, shown: PixelRect, scale: number, kernel: SourceKernel): RgbImage {
  const m = kernel === "nearest" ? 0 : 3;
  const x0 = Math.floor(shown.x / scale) - m;
  const y0 = Math.floor(shown.y / scale) - m;
  const x1 = Math.ceil((shown.x + shown.width) / scale) + m;
  const y1 = Math.ceil((shown.y + shown.height) / scale) + m;
  const crop = cropImage(source, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  const enlarged = kernel === "nearest" ? zoomNearest(crop, scale) : resampleImage(crop, { width: crop.width * scale, height: crop.height * scale, filter: "lanczos3" });
  return cropImage(enlarged, { x: shown.x - x0 * scale, y: shown.y - y0 * scale, width: shown.width, height: shown.height });
}

/** Repeats every pixel `zoom`×`zoom` times. */
function zoomNearest(image: RgbImage, zoom: number): RgbImage {
  const w = image.width * zoom;
  const h = image.height * zoom;
  const n = image.width * image.height;
  const rgb = new Float32Array(w * h * 3);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++) {
      const row = c * n + Math.floor(y / zoom) * image.width;
      for (let x = 0; x < w; x++) rgb[c * w * h + y * w + x] = image.rgb[row + Math.floor(x / zoom)];
    }
  return { width: w, height: h, rgb };
}

function cellLabel(cell: ReviewRegionReport, x: number, top: number): string {
  const { scores } = cell;
  const status = cell.passed ? "PASS" : "WARN";
  const colour = (bad: boolean): string => (bad ? COLOURS.warn : COLOURS.text);
  const line1 =
    text(x, top + 18, areaLabel(cell.name), { size: 14, weight: "bold" }) +
    text(x + 110, top + 18, status, { size: 14, weight: "bold", fill: cell.passed ? COLOURS.pass : COLOURS.warn });
  const metrics = SCORE_NAMES.flatMap((name): [string, number, boolean, number][] => {
    const value = scores[name];
    if (value === undefined) return [];
    const { min, max } = scoreLimits(name);
    const [label, digits] = SCORE_LABELS[name];
    return [[label, value, value > max || (min !== undefined && value < min), digits]];
  });
  const spans = metrics
    .map(([name, value, bad, digits]) => `<tspan fill="${colour(bad)}">${escapeXml(name)} ${value.toFixed(digits)}</tspan>`)
    .join("   ");
  const line2 = `<text x="${x}" y="${top + 38}" font-family="monospace" font-size="12" fill="${COLOURS.text}">${spans}</text>`;
  const advice = cell.advice[0];
  const line3 = advice === undefined ? "" : text(x, top + 54, truncate(advice, 80), { size: 11, fill: COLOURS.warn });
  return line1 + line2 + line3;
}

function panelBackgrounds(rows: (ReviewRegionReport | string)[][], report: ReviewReport): string {
  const rects: string[] = [];
  let y = MARGIN + headerHeight(report);
  for (const cells of rows) {
    y += ROW_TITLE_HEIGHT;
    cells.forEach((cell, column) => {
      if (typeof cell === "string") return;
      const x = MARGIN + column * (CELL_WIDTH + 2 * GAP);
      for (const left of [x, x + PANEL_WIDTH + GAP]) {
        rects.push(`<rect x="${left}" y="${y + CAPTION_HEIGHT}" width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}" fill="${COLOURS.panel}"/>`);
      }
    });
    y += CELL_HEIGHT + GAP;
  }
  return rects.join("\n");
}

function svgDocument(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${body}\n</svg>`;
}

function text(x: number, y: number, content: string, style: { size: number; weight?: "bold"; fill?: string }): string {
  const weight = style.weight ? ` font-weight="${style.weight}"` : "";
  return `<text x="${x}" y="${y}" font-family="sans-serif" font-size="${style.size}"${weight} fill="${style.fill ?? COLOURS.text}">${escapeXml(content)}</text>`;
}

function truncate(value: string, length: number): string {
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

function escapeXml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { buildReview, contactSheetSize, renderContactSheet, renderRegionCrops, writeReview } from "../../src/review/index";
import { ASTRONAUT_FACE, enlargeNearest, mapPixels, skin } from "./support";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const source = skin(128, 128);
const result = mapPixels(enlargeNearest(source, 2), ([r, g, b]) => [r + 0.04, g, b - 0.03]);
const report = buildReview({ source, result, faces: [ASTRONAUT_FACE], scale: 2, settings: { creativity: 0.3, resemblance: 0.85 } });
const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

describe("renderRegionCrops", () => {
  it("makes one small before/after PNG per region, the result's pixels on the right", async () => {
    const crops = await renderRegionCrops(report, { source, result }, { sourceKernel: "nearest" });
    expect(crops.map((crop) => [crop.face, crop.region])).toEqual([
      [0, "eyes"],
      [0, "noseBridge"],
      [0, "lips"],
      [0, "hairline"],
      [0, "skin"],
    ]);
    for (const crop of crops) {
      const meta = await sharp(crop.png).metadata();
      expect({ width: meta.width, height: meta.height, format: meta.format }).toEqual({ width: crop.width, height: crop.height, format: "png" });
      expect(crop.width).toBeLessThanOrEqual(258);
      expect(crop.height).toBeLessThanOrEqual(96);
    }
    // The eyes (166×58 in the result) are wider than a half: their centre at 100 %.
    const eyes = report.faces[0].regions[0].rect;
    const half = (crops[0].width - 2) / 2;
    expect(half).toBe(128);
    const x0 = eyes.x + Math.floor((eyes.width - half) / 2);
    const { data } = await sharp(crops[0].png).extract({ left: half + 2, top: 0, width: half, height: crops[0].height }).raw().toBuffer({ resolveWithObject: true });
    let worst = 0;
    for (let y = 0; y < crops[0].height; y++)
      for (let x = 0; x < half; x++) {
        const expected = Math.round(Math.min(1, Math.max(0, result.rgb[(eyes.y + y) * result.width + x0 + x])) * 255);
        worst = Math.max(worst, Math.abs(data[(y * half + x) * 3] - expected));
      }
    expect(worst).toBe(0);
  });

  it("makes one whole-image crop without a face", async () => {
    const noFace = buildReview({ source, result, faces: [], scale: 2, settings: {} });
    const crops = await renderRegionCrops(noFace, { source, result });
    expect(crops.map((crop) => crop.region)).toEqual(["image"]);
    expect(crops[0].face).toBeUndefined();
  });
});

describe("renderContactSheet", () => {
  it("is a PNG of the size the report calls for: one row of four features and the skin per face", async () => {
    const png = await renderContactSheet(report, { source, result });
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const meta = await sharp(png).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual(contactSheetSize(report));
    // Four cells of two 256 px panels; a header of two lines plus the advice; one face row.
    expect(report.advice).toHaveLength(6);
    expect(contactSheetSize(report)).toEqual({ width: 2696, height: 16 + (18 * 8 + 8) + (26 + 18 + 192 + 58 + 8) + 16 });
    expect(meta.channels).toBe(3);
  });

  it("shows the pixels at 100 %: the eyes panels hold the result crop and the source enlarged, unchanged", async () => {
    const png = await renderContactSheet(report, { source, result }, { sourceKernel: "nearest" });
    const eyes = report.faces[0].regions[0].rect; // 166×58 fits a 256×192 panel at 100 %
    // The "after" panel of the first cell, centred in its box.
    const left = 16 + 256 + 8 + Math.floor((256 - eyes.width) / 2);
    const top = 16 + (18 * (2 + report.advice.length) + 8) + 26 + 18 + Math.floor((192 - eyes.height) / 2);
    const { data } = await sharp(png).extract({ left, top, width: eyes.width, height: eyes.height }).raw().toBuffer({ resolveWithObject: true });
    const n = result.width * result.height;
    let worst = 0;
    for (let y = 0; y < eyes.height; y++)
      for (let x = 0; x < eyes.width; x++)
        for (let c = 0; c < 3; c++) {
          const expected = Math.round(Math.min(1, Math.max(0, result.rgb[c * n + (eyes.y + y) * result.width + eyes.x + x])) * 255);
          worst = Math.max(worst, Math.abs(data[(y * eyes.width + x) * 3 + c] - expected));
        }
    expect(worst).toBe(0);
    // The "before" panel beside it: the source's pixels, each shown 2×2 (nearest).
    const before = await sharp(png).extract({ left: left - 256 - 8, top, width: eyes.width, height: eyes.height }).raw().toBuffer();
    const m = source.width * source.height;
    let worstBefore = 0;
    for (let y = 0; y < eyes.height; y++)
      for (let x = 0; x < eyes.width; x++)
        for (let c = 0; c < 3; c++) {
          const s = c * m + Math.floor((eyes.y + y) / 2) * source.width + Math.floor((eyes.x + x) / 2);
          worstBefore = Math.max(worstBefore, Math.abs(before[(y * eyes.width + x) * 3 + c] - Math.round(source.rgb[s] * 255)));
        }
    expect(worstBefore).toBe(0);
  });

  it("renders the whole image when no face was found", async () => {
    const noFace = buildReview({ source, result, faces: [], scale: 2, settings: {} });
    const png = await renderContactSheet(noFace, { source, result });
    const meta = await sharp(png).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual(contactSheetSize(noFace));
  });

  it("refuses images that are not the report's", async () => {
    await expect(renderContactSheet(report, { source: result, result })).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });
});

describe("writeReview", () => {
  it("creates the folder and writes review.json and review.png, leaving no temporary files", async () => {
    const base = await mkdtemp(join(tmpdir(), "review-"));
    folders.push(base);
    const dir = join(base, "nested", "report");
    const sheet = await renderContactSheet(report, { source, result });
    const written = await writeReview(dir, report, sheet);
    expect(written).toEqual({ json: join(dir, "review.json"), png: join(dir, "review.png") });
    expect((await readdir(dir)).sort()).toEqual(["review.json", "review.png"]);
    expect(JSON.parse(await readFile(written.json, "utf8"))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(Buffer.compare(await readFile(written.png), Buffer.from(sheet))).toBe(0);
    // A second review replaces the first.
    await writeReview(dir, { ...report, verdict: "pass" }, sheet);
    expect(JSON.parse(await readFile(written.json, "utf8")).verdict).toBe("pass");
    expect((await readdir(dir)).sort()).toEqual(["review.json", "review.png"]);
  });

  it("fails with OUTPUT_UNWRITABLE when the folder is a file", async () => {
    const base = await mkdtemp(join(tmpdir(), "review-"));
    folders.push(base);
    const file = join(base, "taken");
    await writeFile(file, "x");
    await expect(writeReview(file, report, new Uint8Array(1))).rejects.toMatchObject({ code: "OUTPUT_UNWRITABLE", data: { path: file } });
  });
});

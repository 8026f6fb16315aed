import { expect, it, onTestFinished } from "vitest";
import ort from "onnxruntime-node";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { DERIVED_CONTEXT, derivedFidelityLuma } from "../../src/portrait/derived-fidelity";
import type { Face } from "../../src/portrait/faces";
import { fullDetailCells, planRoutes, type RouteGrid, type RouteInput } from "../../src/portrait/routing";
import { DERIVED_BY_DETAIL_MODEL, LIGHT_DETAIL, REDUCED_DETAIL, detailModel } from "../../src/portrait/branch-models";
import { reduceInput } from "../../src/portrait/reduced-input";
import { upscaleToScale, type TileRunner } from "../../src/tiling/tiled-upscale";
import type { RgbImage } from "../../src/image/image";
import { luma, type Plane } from "../../src/image/plane";
import { fixturePath, loadRgb, ortDetector, ortTileRunner, padImage, type OrtLike } from "./support";

const runners = ortTileRunner(ort as unknown as OrtLike);
const natural: PortraitSettings = { ...resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!), scale: 2 };

/**
 * The worst difference of two planes over the output pixels of `cells`, and how many there were;
 * with `inset`, only pixels whose neighbourhood of that many output pixels lies in `within`'s cells.
 */
function worstOnRouted(a: Plane, b: Plane, grid: RouteGrid, cells: Uint8Array, scale: number, inset = 0, within: Uint8Array = cells): { worst: number; pixels: number } {
  const size = grid.cell * scale;
  const cellAt = (x: number, y: number): number => {
    const cx = Math.min(grid.columns - 1, Math.floor(Math.min(a.width - 1, Math.max(0, x)) / size));
    const cy = Math.min(grid.rows - 1, Math.floor(Math.min(a.height - 1, Math.max(0, y)) / size));
    return cy * grid.columns + cx;
  };
  let worst = 0;
  let pixels = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      if (!cells[cellAt(x, y)]) continue;
      if (inset > 0 && [-inset, inset].some((dy) => [-inset, inset].some((dx) => !within[cellAt(x + dx, y + dy)]))) continue;
      worst = Math.max(worst, Math.abs(a.data[y * a.width + x] - b.data[y * a.width + x]));
      pixels++;
    }
  return { worst, pixels };
}

/** Pipeline dependencies on the real models that count each model's input pixels in `ran`. */
function countingDeps() {
  const ran = new Map<string, number>();
  const counting = (id: string): TileRunner => async (tile, signal) => {
    ran.set(id, (ran.get(id) ?? 0) + tile.width * tile.height);
    return runners(id)(tile, signal);
  };
  return { ran, deps: { tileRunner: counting, runDetector: ortDetector(ort as unknown as OrtLike), keepBranches: true } };
}

/** The routes the pipeline plans for `image` under the natural preset, with the rules a test sets. */
function naturalGrid(image: RgbImage, faces: readonly Face[], rules: Pick<RouteInput, "derivedFidelity" | "lightDetail">): RouteGrid {
  const backgroundDetail = natural.creativity * Math.max(natural.regions.background, natural.regions.hair);
  return planRoutes({ sourceLuma: luma(image), faces, faceScale: 1, detail: true, fidelity: "edges", backgroundDetail, ...rules });
}

/**
 * 384×64: a face (x 0..64) beside a plain backdrop holding a textured patch (x 64..160, three
 * cells) and one vertical step (x 208, in the seventh cell). The face is the detail model's
 * with the fidelity model under it; the patch the detail model's with the fidelity branch
 * derived from it; the step an edge for the fidelity model alone; the rest Lanczos-3. The
 * plain right part is wider than x4plus's context, so its run ends inside the image.
 */
async function faceTextureAndEdge(): Promise<RgbImage> {
  const image = padImage(await loadRgb(fixturePath("astronaut-face-64.png")), 384, 64, 0, 0, 0.45);
  const n = image.width * image.height;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < image.height; y++)
      for (let x = 64; x < image.width; x++) {
        const texture = x < 160 ? 0.15 * Math.sin(x * 1.7 + y * 0.9) * Math.cos(y * 2.3) : 0;
        image.rgb[c * n + y * image.width + x] += texture + (x >= 208 ? 0.3 : 0);
      }
  return image;
}

it("derives the fidelity branch from the detail model off faces, keeps the fidelity model's own pixels on faces and edges, runs x4plus on the source halved, deterministically", async () => {
  // The default preset keeps esrgan-thick under x4plus and x4plus on the full source; these rules are ones a preset may choose.
  const rule = DERIVED_BY_DETAIL_MODEL.x4plus;
  DERIVED_BY_DETAIL_MODEL.x4plus = "outside-faces";
  REDUCED_DETAIL.enabled = true;
  // x4plus on every detail cell, so the derivation reads x4plus's output.
  const light = LIGHT_DETAIL.enabled;
  LIGHT_DETAIL.enabled = false;
  onTestFinished(() => {
    REDUCED_DETAIL.enabled = false;
    LIGHT_DETAIL.enabled = light;
    if (rule) DERIVED_BY_DETAIL_MODEL.x4plus = rule;
    else delete DERIVED_BY_DETAIL_MODEL.x4plus;
  });
  const image = await faceTextureAndEdge();
  const { ran, deps } = countingDeps();
  const result = await runPortraitPipeline(image, natural, deps);
  const grid = naturalGrid(image, result.faces, { derivedFidelity: "outside-faces" });
  const fidelityAll = luma(await upscaleToScale(image, runners("esrgan-thick-x2"), { nativeScale: 2, targetScale: 2, maxTile: 512 }));
  // With x4plus on the source halved (REDUCED_DETAIL, off in the presets), its whole-image run is the halved one.
  expect(detailModel(natural, 2)!.reduction).toBe(2);
  const detailAll = luma(await upscaleToScale(reduceInput(image, 2), runners("realesrgan-x4plus"), { nativeScale: 4, targetScale: 4, maxTile: 512 }));
  const fidelity = luma(result.branches!.fidelity);
  // Away from the derived cells' hand-over ring (half a cell, 32 output pixels at 2×).
  const notDerived = grid.derived!.map((d) => 1 - d);
  const thick = worstOnRouted(fidelity, fidelityAll, grid, grid.fidelity, 2, grid.cell, notDerived);
  const detail = worstOnRouted(luma(result.branches!.detail!), detailAll, grid, grid.detail, 2);
  // Away from the hand-over (the derivation reads DERIVED_CONTEXT source pixels around each pixel).
  const derived = worstOnRouted(fidelity, derivedFidelityLuma(detailAll, luma(image)), grid, grid.derived!, 2, 2 * DERIVED_CONTEXT, grid.detail);
  const notThick = worstOnRouted(fidelity, fidelityAll, grid, grid.derived!, 2);
  expect(thick.pixels).toBeGreaterThan(0);
  expect(detail.pixels).toBeGreaterThan(0);
  expect(derived.pixels).toBeGreaterThan(0);
  // The manifest's contexts promise 2/255 against an untiled run.
  expect(thick.worst).toBeLessThanOrEqual(2 / 255);
  expect(detail.worst).toBeLessThanOrEqual(2 / 255);
  expect(derived.worst).toBeLessThanOrEqual(2 / 255);
  // The derived branch is not the fidelity model's: a test of the derivation, not a coincidence.
  expect(notThick.worst).toBeGreaterThan(4 / 255);
  // Thick ran on the face and the step, not under the patch: at most the face's cells (x 0..64)
  // and the step's two cells (x 160..224, the first sees the patch's last column), each with
  // 16 px of hand-over and 8 px of context per side: 88 + 112 of 384 columns.
  expect(ran.get("esrgan-thick-x2")!).toBeLessThanOrEqual(200 * 64);
  // x4plus on the halved source, not all of it: cells to x 160, 16 px of hand-over, 134 of context.
  expect(ran.get("realesrgan-x4plus")!).toBeLessThanOrEqual(155 * 32);
  const again = await runPortraitPipeline(image, natural, deps);
  expect(again.image.rgb).toEqual(result.image.rgb);
}, 900_000);

it("draws the detail branch with x4plus on the face and x4fast on the texture beside it, each equal to its whole-image run where kept", async () => {
  // The light detail model is a rule a preset may choose (off as shipped).
  const shipped = LIGHT_DETAIL.enabled;
  LIGHT_DETAIL.enabled = true;
  onTestFinished(() => {
    LIGHT_DETAIL.enabled = shipped;
  });
  const image = await faceTextureAndEdge();
  const { ran, deps } = countingDeps();
  const result = await runPortraitPipeline(image, natural, deps);
  const grid = naturalGrid(image, result.faces, { derivedFidelity: "nowhere", lightDetail: true });
  const full = fullDetailCells(grid);
  const light = grid.lightDetail!;
  const plusAll = luma(await upscaleToScale(image, runners("realesrgan-x4plus"), { nativeScale: 4, targetScale: 2, maxTile: 512 }));
  const fastAll = luma(await upscaleToScale(image, runners("realesrgan-x4fast"), { nativeScale: 4, targetScale: 2, maxTile: 512 }));
  const detail = luma(result.branches!.detail!);
  // Away from the hand-over between the two models (half a cell, 32 output pixels at 2×).
  const onFace = worstOnRouted(detail, plusAll, grid, full, 2, grid.cell);
  const offFace = worstOnRouted(detail, fastAll, grid, light, 2, grid.cell);
  expect(onFace.pixels).toBeGreaterThan(0);
  expect(offFace.pixels).toBeGreaterThan(0);
  expect(onFace.worst).toBeLessThanOrEqual(2 / 255);
  expect(offFace.worst).toBeLessThanOrEqual(2 / 255);
  // The two models differ there: a test of the routing, not a coincidence.
  expect(worstOnRouted(detail, fastAll, grid, full, 2, grid.cell).worst).toBeGreaterThan(4 / 255);
  expect(worstOnRouted(detail, plusAll, grid, light, 2, grid.cell).worst).toBeGreaterThan(4 / 255);
  // x4plus ran on the face's cells with its hand-over (16 px) and context (64 px), not on the patch.
  let faceRight = 0;
  for (let c = 0; c < grid.columns; c++) if (full[c] || full[grid.columns + c]) faceRight = (c + 1) * grid.cell;
  expect(faceRight).toBeLessThan(160);
  expect(ran.get("realesrgan-x4plus")!).toBeLessThanOrEqual((faceRight + 16 + 64) * 64);
  expect(ran.get("realesrgan-x4fast")!).toBeGreaterThan(0);
  expect(result.models).toEqual(expect.arrayContaining(["realesrgan-x4plus", "realesrgan-x4fast", "esrgan-thick-x2"]));
  const again = await runPortraitPipeline(image, natural, deps);
  expect(again.image.rgb).toEqual(result.image.rgb);
}, 900_000);

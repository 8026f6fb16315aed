import { expect, it } from "vitest";
import ort from "onnxruntime-node";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { planRoutes, type RouteGrid } from "../../src/portrait/routing";
import { upscaleToScale, type TileRunner } from "../../src/tiling/tiled-upscale";
import { luma, type Plane } from "../../src/image/plane";
import { fixturePath, loadRgb, ortDetector, ortTileRunner, padImage, type OrtLike } from "./support";

const runners = ortTileRunner(ort as unknown as OrtLike);
const natural: PortraitSettings = { ...resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!), scale: 2 };

/** The worst difference of two planes over the output pixels of fully routed cells, and how many there were. */
function worstOnRouted(a: Plane, b: Plane, grid: RouteGrid, cells: Uint8Array, scale: number): { worst: number; pixels: number } {
  const size = grid.cell * scale;
  let worst = 0;
  let pixels = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) {
      if (!cells[Math.floor(y / size) * grid.columns + Math.floor(x / size)]) continue;
      worst = Math.max(worst, Math.abs(a.data[y * a.width + x] - b.data[y * a.width + x]));
      pixels++;
    }
  return { worst, pixels };
}

it("keeps each model's own pixels where it is routed, running it on fewer pixels than the image", async () => {
  // A face beside a plain backdrop: several rectangles per model in one window (tiled-pass.test.ts
  // checks that windows change nothing).
  const image = padImage(await loadRgb(fixturePath("astronaut-face-64.png")), 192, 64, 0, 0, 0.45);
  const ran = new Map<string, number>();
  const counting = (id: string): TileRunner => async (tile, signal) => {
    ran.set(id, (ran.get(id) ?? 0) + tile.width * tile.height);
    return runners(id)(tile, signal);
  };
  const result = await runPortraitPipeline(image, natural, { tileRunner: counting, runDetector: ortDetector(ort as unknown as OrtLike), keepBranches: true });
  const grid = planRoutes({
    sourceLuma: luma(image),
    faces: result.faces,
    faceScale: 1,
    detail: true,
    fidelity: "edges",
    backgroundDetail: natural.creativity * Math.max(natural.regions.background, natural.regions.hair),
  });
  const fidelityAll = await upscaleToScale(image, runners("esrgan-thick-x2"), { nativeScale: 2, targetScale: 2, maxTile: 512 });
  const detailAll = await upscaleToScale(image, runners("realesrgan-x4plus"), { nativeScale: 4, targetScale: 2, maxTile: 512 });
  const fidelity = worstOnRouted(luma(result.branches!.fidelity), luma(fidelityAll), grid, grid.fidelity, 2);
  const detail = worstOnRouted(luma(result.branches!.detail!), luma(detailAll), grid, grid.detail, 2);
  expect(fidelity.pixels).toBeGreaterThan(0);
  expect(detail.pixels).toBeGreaterThan(0);
  // The manifest's contexts promise 2/255 against an untiled run.
  expect(fidelity.worst).toBeLessThanOrEqual(2 / 255);
  expect(detail.worst).toBeLessThanOrEqual(2 / 255);
  // The backdrop (the right 128 columns, four cells) is not worth a model.
  expect(ran.get("esrgan-thick-x2")!).toBeLessThan(0.8 * 192 * 64);
  expect(ran.get("realesrgan-x4plus")!).toBeLessThan(192 * 64);
}, 900_000);

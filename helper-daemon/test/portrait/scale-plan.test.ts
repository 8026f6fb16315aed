import { describe, expect, it } from "vitest";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import type { TileRunner } from "../../src/tiling/tiled-upscale";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";

/**
 * A stand-in model for checking the scale plan only (which model runs, what size comes
 * out): pixel replication by the scale in the model's id. Quality is tested with real models.
 */
function replicatingRunner(calls: string[]): (modelId: string) => TileRunner {
  return (modelId) => async (tile) => {
    calls.push(modelId);
    const s = Number(/x(\d)/.exec(modelId.replace("realesrgan-x4", "x4"))![1]);
    const w = tile.width * s;
    const h = tile.height * s;
    const data = new Float32Array(3 * w * h);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) data[c * w * h + y * w + x] = tile.data[c * tile.width * tile.height + Math.floor(y / s) * tile.width + Math.floor(x / s)];
    return { data, width: w, height: h };
  };
}

const natural = (): PortraitSettings => resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!);
const image = { width: 12, height: 10, rgb: new Float32Array(360).map((_, i) => (i % 7) / 7) };

describe("the pipeline's scale plan", () => {
  it.each([
    [2, "esrgan-thick-x2"],
    [3, "esrgan-thick-x3"],
    [4, "esrgan-thick-x4"],
    [6, "esrgan-thick-x8"],
    [8, "esrgan-thick-x8"],
  ] as const)("reaches %i× with %s and the detail model", async (scale, fidelity) => {
    const calls: string[] = [];
    const result = await runPortraitPipeline(image, { ...natural(), scale }, { tileRunner: replicatingRunner(calls) });
    expect([result.image.width, result.image.height]).toEqual([12 * scale, 10 * scale]);
    expect(new Set(calls)).toEqual(new Set([fidelity, "realesrgan-x4plus"]));
    expect(result.notes.some((n) => n.code === "SPECULATIVE_SCALE")).toBe(scale > 4);
  });

  it("runs two passes of 2× for 4× when asked, and the fidelity model alone without a detail model", async () => {
    const calls: string[] = [];
    const twoPass = await runPortraitPipeline(image, { ...natural(), scale: 4, twoPass: true }, { tileRunner: replicatingRunner(calls) });
    expect([twoPass.image.width, twoPass.image.height]).toEqual([48, 40]);
    expect(calls.filter((c) => c === "esrgan-thick-x2")).toHaveLength(2);
    const alone = await runPortraitPipeline(image, { ...natural(), models: { fidelity: "thick", detail: null } }, { tileRunner: replicatingRunner([]) });
    expect(alone.models).toEqual(["esrgan-thick-x2"]);
    expect(alone.notes.map((n) => n.code)).toContain("FIDELITY_ONLY");
  });
});

import { describe, expect, it } from "vitest";
import { modelFacts } from "@portrait-upscale/models";
import type { JobSettings } from "@portrait-upscale/shared";
import { parseUpscaleSettings } from "../upscale/settings";
import { parseCalibration } from "./calibration";
import {
  describeDuration,
  FACE_DETAIL_SHARE,
  FACES_ONLY_SHARE,
  faceRestorePass,
  passPixels,
  PIPELINE_SECONDS_PER_OUTPUT_MP,
  portraitPasses,
  predictCost,
  pricePass,
  routedCostRatio,
  UNCALIBRATED,
  UNPLANNED,
  withPlannedPass,
} from "./cost-model";
import { estimateUpscale, protocolEstimate } from "./estimate";
import { portraitTiles } from "../upscale/memory-plan";
import { DERIVED_BY_DETAIL_MODEL, LIGHT_DETAIL, REDUCED_DETAIL } from "../portrait/branch-models";

const x4plusCost = modelFacts().byId("realesrgan-x4plus").cost("cpu").secondsPerInputMegapixel;

function portrait(overrides: Partial<JobSettings> = {}): JobSettings {
  return {
    presetId: "portrait-natural",
    scale: 2,
    creativity: 0.5,
    resemblance: 0.5,
    denoise: 0,
    cleanup: false,
    grain: false,
    twoPass: false,
    models: { fidelity: "thick", detail: "x4plus" },
    ...overrides,
  } as JobSettings;
}

describe("passPixels: the pixels a model sees, context included", () => {
  it.each([
    { name: "untiled", width: 512, height: 512, tile: 512, expected: 512 * 512 },
    { name: "2048² in tiles of 512 with x4plus's 64 px context", width: 2048, height: 2048, tile: 512, expected: 16 * 640 * 640 },
    { name: "a strip, tiled along one axis", width: 1000, height: 100, tile: 256, expected: 4 * (250 + 128) * 100 },
  ])("$name → $expected", ({ width, height, tile, expected }) => {
    expect(passPixels({ modelId: "realesrgan-x4plus", width, height, tile })).toBe(expected);
  });
});

describe("predictCost", () => {
  it("sums the passes (manifest seconds per MP) and the pipeline's work per output pixel", () => {
    const prediction = predictCost([{ modelId: "realesrgan-x4plus", width: 1000, height: 1000, tile: 1000 }], 4e6, "cpu", UNCALIBRATED);
    expect(prediction.seconds).toBeCloseTo(x4plusCost + 4 * PIPELINE_SECONDS_PER_OUTPUT_MP, 6);
    expect(prediction.calibrated).toBe(false);
    expect(prediction.passes).toEqual([{ modelId: "realesrgan-x4plus", megapixels: 1, seconds: x4plusCost }]);
  });

  it("a calibration scales everything for its provider only", () => {
    const calibration = parseCalibration({ factors: { cpu: 2 } });
    const pass = [{ modelId: "realesrgan-x4fast", width: 500, height: 500, tile: 500 }];
    const base = predictCost(pass, 0, "cpu", UNCALIBRATED).seconds;
    expect(predictCost(pass, 0, "cpu", calibration)).toMatchObject({ seconds: 2 * base, calibrated: true });
    expect(predictCost(pass, 0, "cuda", calibration)).toMatchObject({ seconds: base, calibrated: false });
  });

  it("tiling costs the context, less when the model runs split: 2048² x4plus in tiles of 512 costs 1.14× untiled, not 1.5625×", () => {
    const tiled = predictCost([{ modelId: "realesrgan-x4plus", width: 2048, height: 2048, tile: 512 }], 0, "cpu", UNCALIBRATED);
    const whole = predictCost([{ modelId: "realesrgan-x4plus", width: 2048, height: 2048, tile: 2048 }], 0, "cpu", UNCALIBRATED);
    expect(passPixels({ modelId: "realesrgan-x4plus", width: 2048, height: 2048, tile: 512 }) / 2048 ** 2).toBeCloseTo(1.5625, 6);
    expect(tiled.passes.map((pass) => pass.modelId)).toEqual(["realesrgan-x4plus-trunk", "realesrgan-x4plus-tail"]);
    expect(tiled.seconds / whole.seconds).toBeCloseTo(1.1439, 4);
  });

  it("refuses a calibration that is not positive numbers", () => {
    expect(() => parseCalibration({ factors: { cpu: 0 } })).toThrow("Expected a number above 0 for calibration.factors.cpu but received 0 of type number");
    expect(() => parseCalibration({})).toThrow("Expected an object for calibration.factors");
  });
});

describe("pricePass: a split model is priced per stage when it runs split", () => {
  const x4plus = modelFacts().byId("realesrgan-x4plus");
  const [trunk, tail] = x4plus.stages!;
  it.each([
    { name: "512² untiled: the whole model", width: 512, height: 512, tile: 512, expected: [["realesrgan-x4plus", 0.262144]] },
    {
      name: "2048² in tiles of 448: trunk in tiles of 1024, tail in tiles of 640, as the driver plans them",
      width: 2048,
      height: 2048,
      tile: 448,
      expected: [
        ["realesrgan-x4plus-trunk", (4 * 1088 * 1088) / 1e6],
        ["realesrgan-x4plus-tail", 16 * 520 * 520 / 1e6],
      ],
    },
    { name: "6000×4000 in tiles of 448: the planes between stages exceed a window, so the whole model tiles", width: 6000, height: 4000, tile: 448, expected: [["realesrgan-x4plus", 0]] },
    {
      name: "1024² with the job's stage tiles 1024/128 (the default preset's 1 MP plan): the trunk whole, the tail in 8×8 tiles",
      width: 1024,
      height: 1024,
      tile: 320,
      stageTiles: [1024, 128],
      expected: [
        ["realesrgan-x4plus-trunk", (1024 * 1024) / 1e6],
        ["realesrgan-x4plus-tail", (64 * 136 * 136) / 1e6],
      ],
    },
    {
      name: "512² with planned stage tiles: split as planned, although the whole model would fit",
      width: 512,
      height: 512,
      tile: 512,
      stageTiles: [256, 512],
      expected: [
        ["realesrgan-x4plus-trunk", (4 * 320 * 320) / 1e6],
        ["realesrgan-x4plus-tail", (512 * 512) / 1e6],
      ],
    },
  ] as { name: string; width: number; height: number; tile: number; stageTiles?: number[]; expected: [string, number][] }[])("$name", ({ width, height, tile, stageTiles, expected }) => {
    const priced = pricePass({ modelId: "realesrgan-x4plus", width, height, tile, ...(stageTiles ? { stageTiles } : {}) }, "cpu");
    expect(priced.map((pass) => pass.modelId)).toEqual(expected.map(([id]) => id));
    for (const [k, [, megapixels]] of expected.entries()) if (megapixels) expect(priced[k].megapixels).toBeCloseTo(megapixels as number, 6);
    const costs: Record<string, number> = { [x4plus.id]: x4plus.cost("cpu").secondsPerInputMegapixel, [trunk.id]: trunk.cost("cpu").secondsPerInputMegapixel, [tail.id]: tail.cost("cpu").secondsPerInputMegapixel };
    for (const pass of priced) expect(pass.seconds).toBeCloseTo(pass.megapixels * costs[pass.modelId], 6);
  });

  it("a face-restore pass costs one aligned 512² crop per face", () => {
    const thick = modelFacts().byId("esrgan-thick-x2");
    const pass = { ...faceRestorePass("esrgan-thick-x2", 3) };
    expect(pricePass(pass, "cpu")).toEqual([{ modelId: "esrgan-thick-x2", megapixels: 3 * 0.262144, seconds: 3 * 0.262144 * thick.cost("cpu").secondsPerInputMegapixel }]);
  });
});

/** Runs `work` with the light detail model off: most cases price the detail model on every detail cell. */
function detailEverywhere<T>(work: () => T): T {
  const shipped = LIGHT_DETAIL.enabled;
  LIGHT_DETAIL.enabled = false;
  try {
    return work();
  } finally {
    LIGHT_DETAIL.enabled = shipped;
  }
}

describe("portraitPasses", () => {
  it.each([
    { name: "2×: thick ×2 and x4plus over the input", settings: portrait(), expected: ["esrgan-thick-x2@100", "realesrgan-x4plus@100"] },
    { name: "fidelity alone", settings: portrait({ models: { fidelity: "thick", detail: null } }), expected: ["esrgan-thick-x2@100"] },
    { name: "4× in two passes: the second over the 2× image", settings: portrait({ scale: 4, twoPass: true }), expected: ["esrgan-thick-x2@100", "realesrgan-x4plus@100", "esrgan-thick-x2@200", "realesrgan-x4plus@200"] },
    { name: "clean-up first; a preview's fidelity branch is all derived", settings: portrait({ cleanup: true, models: { fidelity: "thick", detail: "x4fast" } }), expected: ["esrgan-thick-x2@100", "realesrgan-x4fast@100"] },
    { name: "6×: thick ×8", settings: portrait({ scale: 6 as JobSettings["scale"], models: { fidelity: "thick", detail: null } }), expected: ["esrgan-thick-x8@100"] },
  ])("$name", ({ settings, expected }) => {
    expect(detailEverywhere(() => portraitPasses(settings, 100, 80, { tile: 4096 })).map((pass) => `${pass.modelId}@${pass.width}`)).toEqual(expected);
  });

  it.each([
    { name: "2×: x4plus over the input halved", settings: portrait(), expected: ["esrgan-thick-x2@100x80", "realesrgan-x4plus@50x40"] },
    { name: "4× in two passes: halved in each", settings: portrait({ scale: 4, twoPass: true }), expected: ["esrgan-thick-x2@100x80", "realesrgan-x4plus@50x40", "esrgan-thick-x2@200x160", "realesrgan-x4plus@100x80"] },
    { name: "4× in one pass: x4plus over the full input", settings: portrait({ scale: 4 }), expected: ["esrgan-thick-x4@100x80", "realesrgan-x4plus@100x80"] },
  ])("with the detail model on a reduced source (REDUCED_DETAIL on), $name", ({ settings, expected }) => {
    REDUCED_DETAIL.enabled = true;
    try {
      expect(detailEverywhere(() => portraitPasses(settings, 100, 80, { tile: 4096 })).map((pass) => `${pass.modelId}@${pass.width}x${pass.height}`)).toEqual(expected);
    } finally {
      REDUCED_DETAIL.enabled = false;
    }
  });

  it.each([
    { name: "with a light detail model (as shipped): x4fast on the whole image, x4plus at the faces' share", light: true, expected: [["realesrgan-x4fast", undefined], ["realesrgan-x4plus", FACE_DETAIL_SHARE]] },
    { name: "without one (LIGHT_DETAIL off): x4plus on the whole image", light: false, expected: [["realesrgan-x4plus", undefined]] },
  ])("unplanned detail passes, $name", ({ light, expected }) => {
    const shipped = LIGHT_DETAIL.enabled;
    LIGHT_DETAIL.enabled = light;
    try {
      const [, ...detail] = portraitPasses(portrait(), 512, 512, { tile: 4096 });
      expect(detail.map((pass) => [pass.modelId, pass.share])).toEqual(expected);
    } finally {
      LIGHT_DETAIL.enabled = shipped;
    }
  });

  it("the light detail model follows the detail model: none under a preview's x4fast", () => {
    const shipped = LIGHT_DETAIL.enabled;
    LIGHT_DETAIL.enabled = true;
    try {
      const passes = portraitPasses(portrait({ models: { fidelity: "thick", detail: "x4fast" } }), 512, 512, { tile: 4096 });
      expect(passes.map((pass) => [pass.modelId, pass.share])).toEqual([["realesrgan-x4fast", undefined]]);
    } finally {
      LIGHT_DETAIL.enabled = shipped;
    }
  });

  it.each([
    { name: "x4plus as detail model: thick wherever there is an edge, priced on the whole image", detail: "x4plus" as const, derived: true, share: undefined },
    { name: "no detail model: thick alone, priced on the whole image", detail: null, derived: true, share: undefined },
    { name: "x4fast with its fidelity branch not derived: thick on faces, priced at the bench portraits' average share", detail: "x4fast" as const, derived: false, share: FACES_ONLY_SHARE },
  ])("$name", ({ detail, derived, share }) => {
    const rule = DERIVED_BY_DETAIL_MODEL.x4fast;
    if (!derived) delete DERIVED_BY_DETAIL_MODEL.x4fast;
    const [fidelity] = (() => {
      try {
        return portraitPasses(portrait({ models: { fidelity: "thick", detail } }), 512, 512, { tile: 4096 });
      } finally {
        DERIVED_BY_DETAIL_MODEL.x4fast = rule;
      }
    })();
    expect(fidelity.modelId).toBe("esrgan-thick-x2");
    expect(fidelity.share).toBe(share);
    const whole = pricePass({ ...fidelity, share: 1 }, "cpu")[0].seconds;
    expect(pricePass(fidelity, "cpu")[0].seconds).toBeCloseTo(whole * (share ?? 1), 10);
  });

  // Any manifest id stands in for a brought face-restore model: only the pass list is checked.
  const restoring = portrait({ faceRestore: { model: "esrgan-thick-x2" as never, strength: 0.5 } });
  it.each([
    { name: "face restore before detection: one assumed face", faces: undefined, expected: 1 },
    { name: "face restore after detection: once per face found", faces: 3, expected: 3 },
    { name: "face restore with no face found: no pass", faces: 0, expected: undefined },
  ])("$name", ({ faces, expected }) => {
    const passes = detailEverywhere(() => portraitPasses(restoring, 100, 80, { tile: 4096 }, faces));
    expect(passes.slice(0, 2).map((pass) => pass.modelId)).toEqual(["esrgan-thick-x2", "realesrgan-x4plus"]);
    expect(passes[2]).toEqual(expected === undefined ? undefined : faceRestorePass("esrgan-thick-x2", expected));
  });
});

describe("routedCostRatio: the estimate each time routing plans a pass", () => {
  const natural = portrait();
  const x4plus = modelFacts().byId("realesrgan-x4plus");
  const thick = modelFacts().byId("esrgan-thick-x2");
  const cost = (id: string, pixels: number): number => (modelFacts().byId(id).cost("cpu").secondsPerInputMegapixel * pixels) / 1e6;
  const output = (1024 * 1024 * PIPELINE_SECONDS_PER_OUTPUT_MP) / 1e6;
  const unplannedSeconds = cost(thick.id, 512 * 512) + cost(x4plus.id, 512 * 512) + output;
  it.each([
    {
      name: "routing sends both models everywhere: unchanged",
      runs: [
        { modelId: "esrgan-thick-x2", width: 512, height: 512 },
        { modelId: "realesrgan-x4plus", width: 512, height: 512 },
      ],
      expected: 1,
    },
    {
      name: "a face of 200² for x4plus, edges of 300×512 for thick",
      runs: [
        { modelId: "esrgan-thick-x2", width: 300, height: 512 },
        { modelId: "realesrgan-x4plus", width: 200, height: 200 },
      ],
      expected: (cost(thick.id, 300 * 512) + cost(x4plus.id, 200 * 200) + output) / unplannedSeconds,
    },
    { name: "nothing routed (a flat image): the pipeline's work alone", runs: [], expected: output / unplannedSeconds },
  ])("$name", ({ runs, expected }) => {
    expect(detailEverywhere(() => routedCostRatio(natural, 512, 512, { tile: 512 }, UNPLANNED, withPlannedPass(UNPLANNED, 0, runs, 1), "cpu"))).toBeCloseTo(expected, 10);
  });

  it("a planned pass becomes routing's runs, other passes and face restore stay", () => {
    const settings = portrait({ scale: 4, twoPass: true, faceRestore: { model: "esrgan-thick-x2" as never, strength: 1 } });
    const passes = detailEverywhere(() => portraitPasses(settings, 100, 80, { tile: 4096 }, 2, [[{ modelId: "realesrgan-x4plus", width: 40, height: 30 }]]));
    expect(passes.map((pass) => `${pass.modelId}@${pass.width}x${pass.height}`)).toEqual(["realesrgan-x4plus@40x30", "esrgan-thick-x2@200x160", "realesrgan-x4plus@200x160", "esrgan-thick-x2@512x512"]);
    expect(passes.at(-1)!.count).toBe(2);
    const second = detailEverywhere(() => portraitPasses(settings, 100, 80, { tile: 4096 }, 2, [undefined, [{ modelId: "realesrgan-x4plus", width: 90, height: 70 }]]));
    expect(second.map((pass) => `${pass.modelId}@${pass.width}x${pass.height}`)).toEqual(["esrgan-thick-x2@100x80", "realesrgan-x4plus@100x80", "realesrgan-x4plus@90x70", "esrgan-thick-x2@512x512"]);
  });

  it("a two-pass preset: refining after each pass multiplies to the fully planned prediction", () => {
    const settings = portrait({ scale: 4, twoPass: true });
    const first = [{ modelId: "realesrgan-x4plus", width: 300, height: 280 }];
    const second = [
      { modelId: "esrgan-thick-x2", width: 200, height: 100 },
      { modelId: "realesrgan-x4plus", width: 700, height: 600 },
    ];
    const afterFirst = withPlannedPass(UNPLANNED, 0, first, 2);
    const afterSecond = withPlannedPass(afterFirst, 1, second, 2);
    const ratioFirst = routedCostRatio(settings, 512, 512, { tile: 512 }, UNPLANNED, afterFirst, "cpu");
    const ratioSecond = routedCostRatio(settings, 512, 512, { tile: 512 }, afterFirst, afterSecond, "cpu");
    // The second pass is 4× the pixels: refining the first alone leaves most of the estimate unpriced.
    expect(ratioSecond).not.toBeCloseTo(1, 2);
    const seconds = (runs: Parameters<typeof portraitPasses>[5]): number => predictCost(portraitPasses(settings, 512, 512, { tile: 512 }, 2, runs), 2048 * 2048, "cpu", UNCALIBRATED).seconds;
    const unplanned = predictCost(portraitPasses(settings, 512, 512, { tile: 512 }), 2048 * 2048, "cpu", UNCALIBRATED).seconds;
    expect(unplanned * ratioFirst * ratioSecond).toBeCloseTo(seconds([first, second]), 6);
  });
});

describe("estimateUpscale", () => {
  it("a bare x4plus run: the model on the input plus the pipeline on the output", () => {
    const settings = parseUpscaleSettings({ model: "x4plus", scale: 4, memoryBudget: "8G" });
    const prediction = estimateUpscale(settings, 512, 512, "cpu", UNCALIBRATED);
    expect(prediction.seconds).toBeCloseTo(0.262144 * x4plusCost + 4.194304 * PIPELINE_SECONDS_PER_OUTPUT_MP, 6);
  });

  it("a portrait job's split model is priced on the stage tiles the job plans, as the driver runs it", () => {
    const settings = parseUpscaleSettings({ model: "x4plus", scale: 2, memoryBudget: "6G" });
    const job = { ...settings, portrait: portrait() };
    const tiles = detailEverywhere(() => portraitTiles(job, { width: 1024, height: 1024 }, "cpu"));
    const stages = tiles.stageTiles["realesrgan-x4plus"];
    expect(stages).toBeDefined();
    const priced = detailEverywhere(() => estimateUpscale(job, 1024, 1024, "cpu", UNCALIBRATED)).passes.filter((pass) => pass.modelId.startsWith("realesrgan-x4plus"));
    expect(priced).toEqual(pricePass({ modelId: "realesrgan-x4plus", width: 1024, height: 1024, tile: tiles.tile, stageTiles: stages }, "cpu"));
    // Not what the driver's own rule would split the job's thick tile into.
    expect(priced).not.toEqual(pricePass({ modelId: "realesrgan-x4plus", width: 1024, height: 1024, tile: tiles.tile }, "cpu"));
  });

  it("the same request, the same prediction (no momentary state)", () => {
    const settings = parseUpscaleSettings({ model: "x4plus", scale: 2 });
    expect(estimateUpscale(settings, 3000, 2000, "cpu", UNCALIBRATED)).toEqual(estimateUpscale(settings, 3000, 2000, "cpu", UNCALIBRATED));
  });
});

describe("protocolEstimate: the CLI's prediction as the daemon answers it", () => {
  it("keeps the total, the provider and every pass, rounded to tenths of a second", () => {
    const settings = parseUpscaleSettings({ model: "x4plus", scale: 4, memoryBudget: "8G" });
    const prediction = estimateUpscale(settings, 512, 512, "cpu", parseCalibration({ factors: { cpu: 1.5 } }));
    const estimate = protocolEstimate(prediction, 0);
    expect(estimate).toEqual({
      seconds: Math.round(prediction.seconds * 10) / 10,
      provider: "cpu",
      device: 0,
      calibrated: true,
      models: [{ id: "realesrgan-x4plus", megapixels: 0.262, seconds: Math.round(prediction.passes[0].seconds * 10) / 10 }],
    });
  });
});

describe("describeDuration", () => {
  it.each([
    [3, "a few seconds"],
    [42, "about 40 s"],
    [170, "about 3 min"],
    [3600, "about 1 h"],
    [4800, "about 1 h 20 min"],
  ])("%d s → %s", (seconds, words) => {
    expect(describeDuration(seconds)).toBe(words);
  });
});

import { describe, expect, it } from "vitest";
import { modelFacts } from "@portrait-upscale/models";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { portraitSteps } from "./portrait";
import { ProgressTracker, type PortraitProgressStage, type UpscaleProgress } from "./progress";

describe("ProgressTracker", () => {
  it("reports stages in order with an ETA from the mean tile time", () => {
    const events: UpscaleProgress[] = [];
    let clock = 0;
    const tracker = new ProgressTracker((p) => events.push(p), () => clock);
    tracker.decode();
    tracker.upscaleStarted();
    clock = 2000;
    tracker.tile(1, 4);
    clock = 4000;
    tracker.tile(2, 4);
    tracker.encode();
    tracker.done();
    expect(events.map((e) => e.stage)).toEqual(["decode", "upscale", "upscale", "encode", "encode"]);
    expect(events[1]).toMatchObject({ tile: 1, tiles: 4, etaSeconds: 6 });
    expect(events[2]).toMatchObject({ tile: 2, tiles: 4, etaSeconds: 4 });
    const progress = events.map((e) => e.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress.at(-1)).toBe(1);
  });

  it("takes the cost-weighted fraction when tiles differ in cost (a split model's trunk and tail)", () => {
    const events: UpscaleProgress[] = [];
    let clock = 0;
    const tracker = new ProgressTracker((p) => events.push(p), () => clock);
    tracker.upscaleStarted();
    // The trunk's one tile of 17 was 90 % of the work and took 90 s: 10 s are left, not 16 tiles' worth.
    clock = 90_000;
    tracker.tile(1, 17, 0.9);
    expect(events[0]).toMatchObject({ tile: 1, tiles: 17 });
    expect(events[0].etaSeconds).toBeCloseTo(10, 6);
    expect(events[0].progress).toBeCloseTo(0.02 + 0.93 * 0.9, 10);
  });

  it("restarts the ETA when the tile is halved (a new layout with more tiles)", () => {
    const events: UpscaleProgress[] = [];
    let clock = 0;
    const tracker = new ProgressTracker((p) => events.push(p), () => clock);
    tracker.upscaleStarted();
    clock = 10_000;
    tracker.tile(1, 2);
    clock = 11_000;
    tracker.tile(1, 8);
    expect(events[1]).toMatchObject({ tile: 1, tiles: 8, etaSeconds: 7 });
  });
});

describe("ProgressTracker seeded with a prediction", () => {
  it("the ETA is the prediction from the first second, then moves to the measured rate", () => {
    const events: UpscaleProgress[] = [];
    let clock = 0;
    const tracker = new ProgressTracker((p) => events.push(p), () => clock);
    tracker.seed(100);
    tracker.decode();
    expect(events[0]).toMatchObject({ stage: "decode", etaSeconds: 100 });
    tracker.upscaleStarted();
    // The machine is twice as slow as predicted: 1 of 10 tiles took 20 s.
    clock = 20_000;
    tracker.tile(1, 10);
    // A tenth done: trust 0.2 in the measured 180 s, 0.8 in the prediction counted down to 80 s.
    expect(events[1].etaSeconds).toBeCloseTo(0.2 * 180 + 0.8 * 80, 6);
    clock = 100_000;
    tracker.tile(5, 10);
    // Half-way: only the measured rate.
    expect(events[2].etaSeconds).toBeCloseTo(100, 6);
  });

  it("refining the prediction (routing decided) scales the ETA and sends the refined estimate from then on", () => {
    const events: UpscaleProgress[] = [];
    const tracker = new ProgressTracker((p) => events.push(p), () => 0);
    tracker.decode();
    tracker.refine(0.5);
    tracker.portraitStarted([{ stage: "faces", weight: 1 }]);
    tracker.portraitStage("faces", 0);
    expect(events.at(-1)).not.toHaveProperty("estimateSeconds");
    tracker.seed(100);
    tracker.refine(0.25);
    tracker.portraitStage("faces", 0);
    expect(events.at(-1)).toMatchObject({ etaSeconds: 25, estimateSeconds: 25 });
    tracker.encode();
    expect(events.at(-1)).toMatchObject({ etaSeconds: 0, estimateSeconds: 25 });
  });

  it("portrait stages before any work use the prediction", () => {
    const events: UpscaleProgress[] = [];
    const tracker = new ProgressTracker((p) => events.push(p), () => 0);
    tracker.seed(60);
    tracker.portraitStarted([{ stage: "faces", weight: 1 }, { stage: "fidelity", weight: 9 }]);
    tracker.portraitStage("faces", 0);
    expect(events[0].etaSeconds).toBe(60);
  });

  it("counts the prediction down while no work is measured, to half of the predicted work left", () => {
    const events: UpscaleProgress[] = [];
    let clock = 0;
    const tracker = new ProgressTracker((p) => events.push(p), () => clock);
    tracker.seed(100);
    tracker.portraitStarted([{ stage: "faces", weight: 1 }, { stage: "fidelity", weight: 9 }]);
    clock = 30_000;
    tracker.portraitStage("faces", 0);
    clock = 80_000;
    tracker.portraitStage("faces", 0);
    expect(events.map((event) => event.etaSeconds)).toEqual([70, 50]);
  });
});

describe("ProgressTracker, portrait stages", () => {
  it("weights the steps of a two-pass run and moves on to the second pass's steps", () => {
    const events: UpscaleProgress[] = [];
    let clock = 0;
    const tracker = new ProgressTracker((p) => events.push(p), () => clock);
    const steps = portraitSteps(resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-print-4x")!));
    expect(steps.map((s) => s.stage)).toEqual(["faces", "fidelity", "detail", "blend", "fidelity", "detail", "blend"]);
    // The second pass starts from a 2× larger image: four times the work of the first.
    expect(steps[4].weight).toBe(4 * steps[1].weight);
    tracker.portraitStarted(steps);
    const report: [PortraitProgressStage, number][] = [
      ["faces", 0], ["faces", 1], ["fidelity", 0], ["fidelity", 1], ["detail", 0.5], ["detail", 1], ["blend", 0], ["blend", 1],
      ["fidelity", 0], ["fidelity", 0.5], ["detail", 1], ["blend", 1],
    ];
    for (const [stage, fraction] of report) {
      clock += 1000;
      tracker.portraitStage(stage, fraction);
    }
    expect(events.map((e) => e.stage)).toEqual(report.map(([stage]) => stage));
    const progress = events.map((e) => e.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress.at(-1)).toBeCloseTo(0.95, 10);
    expect(events.at(-1)!.etaSeconds).toBeCloseTo(0, 10);
  });

  it("gives a brought face-restore model its own last step, priced per face from its facts", () => {
    const natural = resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!);
    // Any manifest id stands in for a brought model: the step is priced from its facts.
    const restoring = { ...natural, faceRestore: { model: "esrgan-thick-x2" as never, strength: 0.5 } };
    const steps = portraitSteps(restoring, { width: 1024, height: 512 });
    expect(steps.map((s) => s.stage)).toEqual(["faces", "fidelity", "detail", "blend", "restore"]);
    // One aligned 512² crop over a 0.5 MP input: half the work of the model over the whole input.
    const thick = modelFacts().byId("esrgan-thick-x2").cost("cpu").secondsPerInputMegapixel;
    expect(steps.at(-1)!.weight).toBeCloseTo((0.262144 / 0.524288) * thick, 10);
    expect(portraitSteps(natural).map((s) => s.stage)).not.toContain("restore");
  });

  it("has no detail step when the fidelity model runs alone, and a clean-up step first when asked", () => {
    const natural = BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!;
    expect(portraitSteps(resolvePreset(natural, { model: "thick" })).map((s) => s.stage)).toEqual(["faces", "fidelity", "blend"]);
    const cleanup = BUILT_IN_PRESETS.find((p) => p.cleanup)!;
    expect(portraitSteps(resolvePreset(cleanup)).map((s) => s.stage).slice(0, 2)).toEqual(["faces", "cleanup"]);
  });
});

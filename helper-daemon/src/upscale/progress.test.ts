import { describe, expect, it } from "vitest";
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

  it("has no detail step when the fidelity model runs alone, and a clean-up step first when asked", () => {
    const natural = BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!;
    expect(portraitSteps(resolvePreset(natural, { model: "thick" })).map((s) => s.stage)).toEqual(["faces", "fidelity", "blend"]);
    const cleanup = BUILT_IN_PRESETS.find((p) => p.cleanup)!;
    expect(portraitSteps(resolvePreset(cleanup)).map((s) => s.stage).slice(0, 2)).toEqual(["faces", "cleanup"]);
  });
});

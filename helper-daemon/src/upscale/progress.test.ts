import { describe, expect, it } from "vitest";
import { ProgressTracker, type UpscaleProgress } from "./progress";

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

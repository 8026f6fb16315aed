import { describe, expect, it } from "vitest";
import { applyProgress, etaAt, newJob, statusOf } from "./job-record";

describe("a job's ETA and tile count", () => {
  it("a queued job's ETA is its estimate; running, it counts down from the latest progress", () => {
    const job = newJob("j_1", "c", false, undefined, undefined, 90);
    expect(statusOf(job)).toMatchObject({ estimateSeconds: 90, etaSeconds: 90 });
    job.state = "running";
    job.etaAt = 1_000;
    expect(etaAt(job, 31_000)).toBe(60);
    applyProgress(job, { stage: "upscale", progress: 0.5, tile: 1, tiles: 4, etaSeconds: 40 }, 50_000);
    expect(etaAt(job, 60_000)).toBe(30);
    expect(etaAt(job, 500_000)).toBe(0);
  });

  it("takes the estimate refined while the job runs", () => {
    const job = newJob("j_3", "c", false, undefined, undefined, 90);
    job.state = "running";
    applyProgress(job, { stage: "upscale", progress: 0.1, estimateSeconds: 45.5 });
    expect(statusOf(job)).toMatchObject({ estimateSeconds: 45.5 });
    applyProgress(job, { stage: "upscale", progress: 0.2 });
    expect(statusOf(job).estimateSeconds).toBe(45.5);
  });

  it("tile and tiles appear only while the latest progress counts tiles", () => {
    const job = newJob("j_2", "c", false, undefined);
    expect(statusOf(job)).not.toHaveProperty("tiles");
    expect(statusOf(job)).not.toHaveProperty("estimateSeconds");
    expect(statusOf(job).etaSeconds).toBeNull();
    job.state = "running";
    applyProgress(job, { stage: "upscale", progress: 0.3, tile: 2, tiles: 5 });
    expect(statusOf(job)).toMatchObject({ tile: 2, tiles: 5 });
    applyProgress(job, { stage: "blend", progress: 0.8 });
    expect(statusOf(job)).not.toHaveProperty("tile");
    expect(statusOf(job).progress).toBe(0.8);
  });
});

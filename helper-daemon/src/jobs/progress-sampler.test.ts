import { describe, expect, it } from "vitest";
import { sampleProgress, type SampledProgress } from "./progress-sampler";

describe("sampleProgress", () => {
  it.each([
    {
      name: "a short stage between two samples is still sent",
      updates: [["decode", 0, 0], ["faces", 0.1, 10], ["upscale", 0.2, 20], ["blend", 0.9, 30], ["encode", 0.95, 40], ["encode", 1, 50]],
      sent: ["decode@0", "faces@0.1", "upscale@0.2", "blend@0.9", "encode@0.95", "encode@1"],
    },
    {
      name: "percent within a stage at most once per interval",
      updates: [["upscale", 0.1, 0], ["upscale", 0.2, 100], ["upscale", 0.3, 249], ["upscale", 0.4, 250], ["upscale", 0.5, 300], ["upscale", 0.6, 520]],
      sent: ["upscale@0.1", "upscale@0.4", "upscale@0.6"],
    },
    {
      name: "the end is always sent",
      updates: [["encode", 0.95, 0], ["encode", 1, 1]],
      sent: ["encode@0.95", "encode@1"],
    },
    {
      name: "a stage seen again (a second pass) is a change",
      updates: [["detail", 0.3, 0], ["blend", 0.4, 1], ["detail", 0.5, 2]],
      sent: ["detail@0.3", "blend@0.4", "detail@0.5"],
    },
  ] as const)("$name", ({ updates, sent }) => {
    const out: string[] = [];
    let now = 0;
    const report = sampleProgress<SampledProgress>((progress) => out.push(`${progress.stage}@${progress.progress}`), 250, () => now);
    for (const [stage, progress, at] of updates) {
      now = at;
      report({ stage, progress });
    }
    expect(out).toEqual(sent);
  });
});

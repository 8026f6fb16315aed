import { describe, expect, it } from "vitest";
import { UNCALIBRATED, estimateUpscale, parseCalibration, protocolEstimate } from "../cost/index";
import type { InferencePool } from "../inference/index";
import { PresetStore } from "../presets/index";
import { createCatalog } from "./catalog";
import { settingsForJob } from "./upscale-runner";

describe("the daemon's estimate", () => {
  it("is the CLI's prediction for the job's settings, on the pool's provider and the configured device", async () => {
    const presets = await PresetStore.open({ userDir: null, watch: "off" });
    try {
      const calibration = parseCalibration({ factors: { cpu: 1.7 } });
      const pool = { provider: "cpu" } as InferencePool;
      const catalog = createCatalog(pool, presets, [], { calibration, device: 1 });
      const options = { preset: "portrait-natural", scale: 4 };
      const expected = protocolEstimate(estimateUpscale(settingsForJob(presets, options), 600, 400, "cpu", calibration), 1);
      expect(catalog.estimate(options, 600, 400)).toEqual(expected);
      expect(expected).toMatchObject({ provider: "cpu", device: 1, calibrated: true });
      expect(expected.models.length).toBeGreaterThan(0);
      // Without a calibration the reference figures stand in, and the answer says so.
      expect(createCatalog(pool, presets, []).estimate(options, 600, 400)).toMatchObject({ calibrated: false, device: 0 });
      expect(UNCALIBRATED.factors).toEqual({});
    } finally {
      presets.close();
    }
  });

  it("reads each device's own calibration, so two GPUs of one provider get their own predictions", async () => {
    const presets = await PresetStore.open({ userDir: null, watch: "off" });
    try {
      const calibration = parseCalibration({ factors: { cuda: 3, "cuda:0": 0.5, "cuda:1": 4 } });
      const pool = { provider: "cuda" } as InferencePool;
      const devices = [0, 1, 2].map((id) => ({ id, provider: "cuda" as const, name: `GPU ${id}`, default: id === 0 }));
      const catalog = createCatalog(pool, presets, [], { calibration, device: 0, devices });
      const options = { preset: "portrait-natural", scale: 4 };
      const seconds = (factor: number): number => protocolEstimate(estimateUpscale(settingsForJob(presets, options), 600, 400, "cuda", parseCalibration({ factors: { cuda: factor } })), 0).seconds;
      expect(catalog.estimate(options, 600, 400).seconds).toBe(seconds(0.5));
      expect(catalog.estimate({ ...options, device: 1 }, 600, 400)).toMatchObject({ seconds: seconds(4), device: 1, calibrated: true });
      // A device calibrated only through an older provider-wide factor uses that one.
      expect(catalog.estimate({ ...options, device: 2 }, 600, 400)).toMatchObject({ seconds: seconds(3), device: 2 });
    } finally {
      presets.close();
    }
  });
});

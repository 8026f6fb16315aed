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
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createInferencePool } from "../inference/index";
import { parseUpscaleSettings } from "../upscale/settings";
import { calibrationFile, calibrationKey, deviceCalibration, measureCalibration, parseCalibration, readCalibration, writeCalibration } from "./calibration";
import { UNCALIBRATED, type Calibration } from "./cost-model";
import { estimateUpscale } from "./estimate";

const folder = mkdtempSync(join(tmpdir(), "pu-calibration-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const settings = parseUpscaleSettings({ model: "x4fast" });
const secondsOn = (calibration: Calibration, provider: string, device: number): number =>
  estimateUpscale(settings, 256, 256, provider, deviceCalibration(calibration, provider, device)).seconds;

describe("calibration per device", () => {
  it("reads a file with provider-only keys as the factor of every device of that provider", async () => {
    const dir = join(folder, "old");
    mkdirSync(dir, { recursive: true });
    writeFileSync(calibrationFile(dir), '{ "factors": { "cuda": 2 } }\n');
    const old = await readCalibration(dir);
    expect(deviceCalibration(old, "cuda", 0)).toEqual({ factors: { cuda: 2 } });
    expect(deviceCalibration(old, "cuda", 3)).toEqual({ factors: { cuda: 2 } });
    expect(secondsOn(old, "cuda", 0)).toBe(secondsOn(old, "cuda", 3));
    expect(deviceCalibration(old, "dml", 0)).toBe(UNCALIBRATED);
  });

  it("reads a file with fields it does not know, keeping only the factors", async () => {
    const dir = join(folder, "newer");
    mkdirSync(dir, { recursive: true });
    writeFileSync(calibrationFile(dir), '{ "factors": { "cuda:1": 4 }, "measuredAt": "2026-01-01" }\n');
    expect(await readCalibration(dir)).toEqual({ factors: { "cuda:1": 4 } });
  });

  it.each([
    ["factors missing", "{}", "calibration.factors", undefined],
    ["factors not an object", '{ "factors": [2] }', "calibration.factors", undefined],
    ["a factor of zero", '{ "factors": { "cpu": 0 } }', "calibration.factors.cpu", 0],
    ["a factor that is text", '{ "factors": { "cuda:0": "fast" } }', "calibration.factors.cuda:0", "fast"],
  ])("refuses a damaged file (%s) with INVALID_OPTION naming the field", async (_case, text, name, received) => {
    const dir = join(folder, `damaged-${name}-${String(received)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(calibrationFile(dir), text);
    const refusal = readCalibration(dir);
    await expect(refusal).rejects.toMatchObject({ code: "INVALID_OPTION", data: { name } });
    if (received !== undefined) await expect(refusal).rejects.toMatchObject({ data: { received } });
  });

  it("gives two devices of one provider their own factors, so their predictions differ", () => {
    const calibration = parseCalibration({ factors: { [calibrationKey("cuda", 0)]: 0.5, [calibrationKey("cuda", 1)]: 4 } });
    const fast = estimateUpscale(settings, 256, 256, "cuda", deviceCalibration(calibration, "cuda", 0));
    const slow = estimateUpscale(settings, 256, 256, "cuda", deviceCalibration(calibration, "cuda", 1));
    const reference = estimateUpscale(settings, 256, 256, "cuda", UNCALIBRATED);
    expect(fast).toMatchObject({ seconds: 0.5 * reference.seconds, calibrated: true });
    expect(slow).toMatchObject({ seconds: 4 * reference.seconds, calibrated: true });
  });

  it("falls back to the provider's factor for a device without its own, and to none without either", () => {
    const calibration = parseCalibration({ factors: { cuda: 3, "cuda:1": 4 } });
    expect(deviceCalibration(calibration, "cuda", 1).factors).toEqual({ cuda: 4 });
    expect(deviceCalibration(calibration, "cuda", 2).factors).toEqual({ cuda: 3 });
    const devicesOnly = parseCalibration({ factors: { "cuda:1": 4 } });
    expect(deviceCalibration(devicesOnly, "cuda", 2)).toBe(UNCALIBRATED);
    expect(estimateUpscale(settings, 256, 256, "cuda", deviceCalibration(devicesOnly, "cuda", 2)).calibrated).toBe(false);
  });

  it("measures the pool's own device and keeps the other devices' factors", async () => {
    const pool = createInferencePool({ provider: "cpu", device: 1 });
    try {
      const previous = parseCalibration({ factors: { cpu: 9, "cpu:0": 7 } });
      const measured = await measureCalibration(pool, previous);
      expect(Object.keys(measured.factors).sort()).toEqual(["cpu", "cpu:0", "cpu:1"]);
      expect(measured.factors).toMatchObject({ cpu: 9, "cpu:0": 7 });
      expect(measured.factors["cpu:1"]).toBeGreaterThan(0);
      const dir = join(folder, "measured");
      await writeCalibration(dir, measured);
      expect(await readCalibration(dir)).toEqual(measured);
    } finally {
      await pool.close();
    }
  });
});

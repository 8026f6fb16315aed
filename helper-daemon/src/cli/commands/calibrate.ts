/** `portrait-upscale calibrate`: times a short model run so predictions fit this machine's device. */
import { configDir } from "../../config/paths";
import { calibrationFile, measureCalibration, readCalibration, writeCalibration } from "../../cost/index";
import { createInferencePool, ensureDevice } from "../../inference/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";
import { DEVICE_OPTIONS, poolOptionsOf } from "../request-options";

export const calibrateCommand: CliCommand = {
  name: "calibrate",
  summary: "Time a short model run so job time predictions fit this machine.",
  usage: ["calibrate [--provider P] [--device N] [--json]"],
  details: [
    "Runs x4fast on a 128×128 image a few times (seconds on a CPU) and stores the device's speed",
    "relative to the reference figures in calibration.json in the config folder, under",
    "provider:device (cuda:1), so GPUs of different speed keep their own factors; calibrate each",
    "device jobs run on. The command line, the daemon, the panel and the GIMP dialog then predict",
    "jobs on that device with it; a device without its own factor uses its provider's from older",
    "files (a bare provider key), else the reference figures.",
  ].join("\n"),
  allowPositionals: false,
  options: {
    provider: DEVICE_OPTIONS.provider,
    device: DEVICE_OPTIONS.device,
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  async run(context) {
    const poolOptions = poolOptionsOf(context.values);
    const dir = configDir(context.env);
    await ensureDevice(poolOptions.device ?? 0, poolOptions.provider ?? "auto");
    const pool = createInferencePool(poolOptions);
    try {
      const calibration = await measureCalibration(pool, await readCalibration(dir));
      await writeCalibration(dir, calibration);
      if (context.values.json) writeJson(context, { ok: true, file: calibrationFile(dir), factors: calibration.factors });
      else {
        for (const [name, factor] of Object.entries(calibration.factors)) {
          context.stdout.write(`${name}: ${factor.toFixed(2)}× the reference time\n`);
        }
        context.stdout.write(`saved in ${calibrationFile(dir)}\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      await pool.close();
    }
  },
};

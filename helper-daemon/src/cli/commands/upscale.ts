/**
 * `portrait-upscale upscale INPUT -o OUTPUT`: one image file, through the upscale service.
 * The portrait pipeline runs with a preset (the default preset when neither `--preset` nor
 * `--model` is given); `--model` alone runs that bare model, for scripts and benchmarks.
 */
import { resolve } from "node:path";
import { DEFAULT_PRESET_ID, invalidParameter } from "@portrait-upscale/shared";
import { createInferencePool, ensureDevice } from "../../inference/index";
import { writeReview } from "../../review/index";
import { imageLimitsOf, upscaleRequest, upscaleToFile } from "../../upscale/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";
import { configDir } from "../../config/paths";
import { describeDuration, estimateFile } from "../../cost/index";
import { PROGRESS_MODES, ProgressBar, formatDuration, parseProgressMode } from "../progress-bar";
import { DEVICE_OPTIONS, RECIPE_OPTIONS, poolOptionsOf, recipeFlagsOf, resolveRecipe } from "../request-options";

export const upscaleCommand: CliCommand = {
  name: "upscale",
  summary: "Upscale one image file with a portrait preset (PNG, JPEG, TIFF, WebP; 8 or 16 bits; alpha kept).",
  usage: [
    "upscale INPUT -o OUTPUT [--preset ID] [--creativity X] [--resemblance X] [--denoise X] [--scale N] [--model M] [--tile N] [--provider P] [--report DIR] [--json]",
    "upscale INPUT -o OUTPUT --model x4plus|x4fast|thick [--scale N] [--tile N] [--provider P] [--report DIR] [--json]",
  ],
  details: [
    "With a preset (the default, " + DEFAULT_PRESET_ID + ", when neither --preset nor --model is given) the portrait",
    "pipeline runs: faces are found, a fidelity model (esrgan-thick) and a detail model (Real-ESRGAN)",
    "are blended per region under creativity and resemblance, denoised after upscaling. --scale,",
    "--model, --creativity, --resemblance and --denoise override the preset's values; a locked",
    "preset refuses overrides (PRESET_LOCKED). Presets: built-in, <config>/presets, and the studio",
    "folder (config studioPresetFolder); see `portrait-upscale presets list`.",
    "--model without --preset runs that model alone (default scale 4): x4plus (Real-ESRGAN, sharp,",
    "slow), x4fast (compact, ~15x cheaper), thick (ESRGAN trained for fidelity; native x2/x3/x4/x8).",
    "The output's format comes from its extension (.png .jpg .jpeg .tif .tiff .webp); bit depth,",
    "channels and ICC profile follow the input. The file appears only when complete.",
  ].join("\n"),
  allowPositionals: true,
  options: {
    output: { type: "string", short: "o", valueName: "OUTPUT", description: "Where to write the result." },
    ...RECIPE_OPTIONS,
    ...DEVICE_OPTIONS,
    report: { type: "string", valueName: "DIR", description: "Also review faces at 100 %: DIR/review.json and DIR/review.png." },
    json: { type: "boolean", description: "Print one JSON object with the result on stdout." },
    progress: { type: "string", valueName: "MODE", description: `${PROGRESS_MODES.join(" | ")}: a bar on a terminal, one line per stage and percent otherwise (auto), or one JSON object a line.` },
  },
  async run(context) {
    const [input, ...extra] = context.positionals;
    if (input === undefined) throw invalidParameter("an INPUT file", "upscale", undefined);
    if (extra.length > 0) throw invalidParameter("one INPUT file", "upscale", context.positionals.join(" "));
    const output = context.values.output;
    if (typeof output !== "string" || output === "") throw invalidParameter("an OUTPUT file (-o OUTPUT)", "--output", output);
    const flags = recipeFlagsOf(context.values);
    const poolOptions = poolOptionsOf(context.values);
    const reportDir = typeof context.values.report === "string" && context.values.report !== "" ? context.values.report : undefined;
    const { settings, config } = await resolveRecipe(context, flags);
    const request = upscaleRequest({
      image: { kind: "file", path: resolve(context.cwd, input) },
      settings,
      review: reportDir !== undefined,
      limits: imageLimitsOf(config),
    });

    await ensureDevice(poolOptions.device ?? 0, poolOptions.provider ?? "auto");
    const pool = createInferencePool(poolOptions);
    const progressMode = parseProgressMode(context.values.progress);
    const bar = new ProgressBar(context.stderr, progressMode);
    try {
      const estimate = await estimateFile(resolve(context.cwd, input), settings, pool.provider, poolOptions.device ?? 0, configDir(context.env));
      if (estimate !== undefined) {
        if (progressMode === "json") context.stderr.write(`${JSON.stringify({ stage: "estimate", estimateSeconds: Math.round(estimate.seconds), provider: estimate.provider })}\n`);
        else if (progressMode !== "none") context.stderr.write(`estimate: ${describeDuration(estimate.seconds)} on ${estimate.provider.toUpperCase()}${estimate.calibrated ? "" : " (uncalibrated: run `portrait-upscale calibrate`)"}\n`);
      }
      const result = await upscaleToFile(request, resolve(context.cwd, output), pool, {
        ...(estimate !== undefined ? { predictedSeconds: estimate.seconds } : {}),
        signal: context.signal,
        onProgress: (progress) => bar.update(progress),
      });
      bar.finish();
      const review = result.review ? { report: result.review.report, written: await writeReview(resolve(context.cwd, reportDir!), result.review.report, result.review.sheet) } : undefined;
      const summary = result.summary;
      if (context.values.json) {
        writeJson(context, {
          ok: true,
          input: { path: resolve(context.cwd, input), ...summary.input },
          output: { path: result.outputPath, ...summary.output },
          scale: summary.scale,
          model: summary.model,
          models: summary.models,
          provider: summary.provider,
          tile: summary.tile,
          timings: summary.timings,
          notes: summary.notes,
          ...(summary.portrait ? { preset: summary.portrait.preset, faces: summary.portrait.faces.length, portrait: summary.portrait } : {}),
          ...(review ? { review: { verdict: review.report.verdict, json: review.written.json, png: review.written.png } } : {}),
        });
      } else {
        const recipe = summary.portrait ? `preset ${summary.portrait.preset} (${summary.models.join(" + ")})` : summary.models.join(", ");
        const faces = summary.portrait ? `, ${summary.portrait.faces.length} face${summary.portrait.faces.length === 1 ? "" : "s"}` : "";
        context.stderr.write(
          `${result.outputPath}: ${summary.input.width}×${summary.input.height} → ${summary.output.width}×${summary.output.height} ` +
            `with ${recipe}${faces} on ${summary.provider} in ${formatDuration(summary.timings.totalMs / 1000)}\n`,
        );
      }
      // Notes are for the person at the terminal, also when stdout is a script's JSON.
      for (const note of summary.notes) context.stderr.write(`note: ${note}\n`);
      if (review && !context.values.json) {
        context.stderr.write(`review: ${review.report.verdict} (${review.written.png})\n`);
        for (const advice of review.report.advice) context.stderr.write(`review: ${advice}\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      bar.finish();
      await pool.close();
    }
  },
};

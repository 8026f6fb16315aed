/**
 * `portrait-upscale upscale INPUT -o OUTPUT`: one image file, through the upscale service.
 * The portrait pipeline runs with a preset (the default preset when neither `--preset` nor
 * `--model` is given); `--model` alone runs that bare model, for scripts and benchmarks.
 */
import { join, resolve } from "node:path";
import { DEFAULT_PRESET_ID, invalidParameter } from "@portrait-upscale/shared";
import { loadConfig } from "../../config/config";
import { configDir } from "../../config/paths";
import { createInferencePool, parseProviderRequest, PROVIDER_REQUESTS } from "../../inference/index";
import { PresetStore } from "../../presets/index";
import { reviewFiles, reviewSettingsOf } from "../../review/index";
import { MODEL_CHOICES, SCALES, parseUpscaleSettings, portraitSettings, upscaleFile, type UpscaleSettings } from "../../upscale/index";
import type { CliCommand, CliContext } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";
import { describeDuration, estimateFile } from "../../cost/index";
import { PROGRESS_MODES, ProgressBar, formatDuration, parseProgressMode } from "../progress-bar";

/** The portrait controls, which only a preset run has. */
const PORTRAIT_CONTROLS = ["creativity", "resemblance", "denoise"] as const;

export const upscaleCommand: CliCommand = {
  name: "upscale",
  summary: "Upscale one image file with a portrait preset (PNG, JPEG, TIFF, WebP; 8 or 16 bits; alpha kept).",
  usage: [
    "upscale INPUT -o OUTPUT [--preset ID] [--creativity X] [--resemblance X] [--denoise X] [--scale N] [--model M] [--tile N] [--memory-budget SIZE] [--provider P] [--progress MODE] [--report DIR] [--json]",
    "upscale INPUT -o OUTPUT --model x4plus|x4fast|thick [--scale N] [--tile N] [--memory-budget SIZE] [--provider P] [--report DIR] [--json]",
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
    preset: { type: "string", valueName: "ID", description: `A preset id (default ${DEFAULT_PRESET_ID}).` },
    creativity: { type: "string", valueName: "X", description: "Synthetic detail blended in, 0 to 1 (overrides the preset's)." },
    resemblance: { type: "string", valueName: "X", description: "Pull towards the faithful image, 0 to 1 (overrides the preset's)." },
    denoise: { type: "string", valueName: "X", description: "Denoise after upscaling, 0 to 1 (overrides the preset's)." },
    scale: { type: "string", short: "s", valueName: "N", description: `${SCALES.join(" | ")} (default: the preset's; 4 with --model alone)` },
    model: {
      type: "string",
      short: "m",
      valueName: "MODEL",
      description: `${MODEL_CHOICES.join(" | ")}: the detail model with a preset ("thick": fidelity alone), else the bare model.`,
    },
    tile: { type: "string", valueName: "N", description: "Largest kept tile edge in input pixels; the model's context is added around it (default: the whole image, or what the memory budget allows)." },
    "memory-budget": { type: "string", valueName: "SIZE", description: "Memory one model run may use, e.g. 3G (default: config memoryBudget, else a quarter of total memory on CPU)." },
    provider: { type: "string", valueName: "P", description: `${PROVIDER_REQUESTS.join(" | ")}`, default: "auto" },
    threads: { type: "string", valueName: "N", description: "Inference threads (default: physical cores)." },
    device: { type: "string", valueName: "N", description: "The GPU to use on machines with several (CUDA, DirectML; default 0)." },
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
    const settings = await settingsOf(context);
    const provider = parseProviderRequest(context.values.provider ?? "auto", "--provider");
    const threads = context.values.threads === undefined ? undefined : Number(context.values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
      throw invalidParameter("an integer from 1 to 256", "--threads", context.values.threads);
    }
    const reportDir = typeof context.values.report === "string" && context.values.report !== "" ? context.values.report : undefined;

    const device = context.values.device === undefined ? undefined : Number(context.values.device);
    if (device !== undefined && !(Number.isInteger(device) && device >= 0 && device <= 64)) {
      throw invalidParameter("an integer from 0 to 64", "--device", context.values.device);
    }
    const pool = createInferencePool({ provider, ...(threads !== undefined ? { intraOpThreads: threads } : {}), ...(device !== undefined ? { device } : {}) });
    const progressMode = parseProgressMode(context.values.progress);
    const bar = new ProgressBar(context.stderr, progressMode);
    try {
      const estimate = await estimateFile(resolve(context.cwd, input), settings, pool.provider, configDir(context.env));
      if (estimate !== undefined) {
        if (progressMode === "json") context.stderr.write(`${JSON.stringify({ stage: "estimate", estimateSeconds: Math.round(estimate.seconds), provider: estimate.provider })}\n`);
        else if (progressMode !== "none") context.stderr.write(`estimate: ${describeDuration(estimate.seconds)} on ${estimate.provider.toUpperCase()}${estimate.calibrated ? "" : " (uncalibrated: run `portrait-upscale calibrate`)"}\n`);
      }
      const result = await upscaleFile(resolve(context.cwd, input), resolve(context.cwd, output), pool, settings, {
        ...(estimate !== undefined ? { predictedSeconds: estimate.seconds } : {}),
        signal: context.signal,
        onProgress: (progress) => bar.update(progress),
        // The review compares the result with the fidelity branch; keep it only when reviewing.
        ...(reportDir !== undefined ? { keepBranches: true } : {}),
      });
      bar.finish();
      const pipeline = result.pipeline;
      const review =
        reportDir !== undefined
          ? await reviewFiles(resolve(context.cwd, input), result.outputPath, resolve(context.cwd, reportDir), {
              pool,
              scale: settings.scale,
              settings: settings.portrait ? reviewSettingsOf(settings.portrait) : { model: settings.model },
              ...(pipeline ? { faces: pipeline.faces } : {}),
              ...(pipeline?.fidelity ? { fidelity: pipeline.fidelity } : {}),
              signal: context.signal,
            })
          : undefined;
      if (context.values.json) {
        writeJson(context, {
          ok: true,
          input: { path: resolve(context.cwd, input), ...result.input },
          output: { path: result.outputPath, ...result.output },
          scale: result.scale,
          model: result.model,
          models: result.models,
          provider: result.provider,
          tile: result.tile,
          timings: result.timings,
          notes: result.notes,
          ...(result.portrait ? { preset: result.portrait.preset, faces: result.portrait.faces.length, portrait: result.portrait } : {}),
          ...(review ? { review: { verdict: review.report.verdict, json: review.written.json, png: review.written.png } } : {}),
        });
      } else {
        const recipe = result.portrait ? `preset ${result.portrait.preset} (${result.models.join(" + ")})` : result.models.join(", ");
        const faces = result.portrait ? `, ${result.portrait.faces.length} face${result.portrait.faces.length === 1 ? "" : "s"}` : "";
        context.stderr.write(
          `${result.outputPath}: ${result.input.width}×${result.input.height} → ${result.output.width}×${result.output.height} ` +
            `with ${recipe}${faces} on ${result.provider} in ${formatDuration(result.timings.totalMs / 1000)}\n`,
        );
      }
      // Notes are for the person at the terminal, also when stdout is a script's JSON.
      for (const note of result.notes) context.stderr.write(`note: ${note}\n`);
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

/**
 * The run's settings from the flags: the bare model for `--model` without `--preset`,
 * otherwise the preset (default one when none is named) with the flags as overrides.
 */
async function settingsOf(context: CliContext): Promise<UpscaleSettings> {
  const { values } = context;
  const preset = values.preset;
  if (preset !== undefined && (typeof preset !== "string" || preset === "")) throw invalidParameter("a preset id", "--preset", preset);
  if (preset === undefined && values.model !== undefined) {
    const given = PORTRAIT_CONTROLS.find((name) => values[name] !== undefined);
    if (given) {
      // A bare model has no blend to steer; silently ignoring the value would mislead.
      throw invalidParameter(`--preset ID alongside --${given} (--model alone runs the bare model)`, `--${given}`, values[given]);
    }
    const budget = values["memory-budget"] ?? (await loadConfig(configDir(context.env))).memoryBudget ?? undefined;
    return parseUpscaleSettings({ model: values.model, scale: values.scale, tile: values.tile, memoryBudget: budget });
  }
  for (const name of PORTRAIT_CONTROLS) {
    const text = values[name];
    if (text === undefined) continue;
    const value = typeof text === "string" && text.trim() !== "" ? Number(text) : Number.NaN;
    if (!(value >= 0 && value <= 1)) throw invalidParameter("a number from 0 to 1", `--${name}`, text);
  }
  const dir = configDir(context.env);
  const config = await loadConfig(dir);
  // Read once, like `presets list`: a one-off command has nothing to watch for.
  const store = await PresetStore.open({ userDir: join(dir, "presets"), studioDir: config.studioPresetFolder, watch: "off" });
  try {
    for (const problem of store.problems()) context.stderr.write(`warning: skipped ${problem.message}\n`);
    return portraitSettings(store, {
      preset,
      model: values.model,
      scale: values.scale,
      creativity: values.creativity,
      resemblance: values.resemblance,
      denoise: values.denoise,
      tile: values.tile,
      memoryBudget: values["memory-budget"] ?? config.memoryBudget ?? undefined,
    });
  } finally {
    store.close();
  }
}

/** `portrait-upscale upscale INPUT -o OUTPUT`: one image file, through the upscale service. */
import { resolve } from "node:path";
import { invalidParameter } from "@portrait-upscale/shared";
import { createInferencePool, parseProviderRequest, PROVIDER_REQUESTS } from "../../inference/index";
import { reviewFiles } from "../../review/index";
import { MODEL_CHOICES, SCALES, parseUpscaleSettings, upscaleFile } from "../../upscale/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";
import { ProgressBar, formatDuration } from "../progress-bar";

export const upscaleCommand: CliCommand = {
  name: "upscale",
  summary: "Upscale one image file (PNG, JPEG, TIFF, WebP; 8 or 16 bits; alpha kept).",
  usage: ["upscale INPUT -o OUTPUT [--model x4plus|x4fast|thick] [--scale N] [--tile N] [--provider P] [--report DIR] [--json]"],
  details: [
    "The output's format comes from its extension (.png .jpg .jpeg .tif .tiff .webp); bit depth,",
    "channels and ICC profile follow the input. The file appears only when complete.",
    "Models: x4plus (Real-ESRGAN, sharp, slow), x4fast (compact, ~15x cheaper), thick (ESRGAN",
    "trained for fidelity; native x2/x3/x4/x8). Other scales run x4 then Lanczos-3.",
  ].join("\n"),
  allowPositionals: true,
  options: {
    output: { type: "string", short: "o", valueName: "OUTPUT", description: "Where to write the result." },
    model: { type: "string", short: "m", valueName: "MODEL", description: `${MODEL_CHOICES.join(" | ")}`, default: "x4plus" },
    scale: { type: "string", short: "s", valueName: "N", description: `${SCALES.join(" | ")}`, default: "4" },
    tile: { type: "string", valueName: "N", description: "Largest tile edge in input pixels (default: fits free memory, at most 256)." },
    provider: { type: "string", valueName: "P", description: `${PROVIDER_REQUESTS.join(" | ")}`, default: "auto" },
    threads: { type: "string", valueName: "N", description: "Inference threads (default: physical cores)." },
    report: { type: "string", valueName: "DIR", description: "Also review faces at 100 %: DIR/review.json and DIR/review.png." },
    json: { type: "boolean", description: "Print one JSON object with the result on stdout." },
  },
  async run(context) {
    const [input, ...extra] = context.positionals;
    if (input === undefined) throw invalidParameter("an INPUT file", "upscale", undefined);
    if (extra.length > 0) throw invalidParameter("one INPUT file", "upscale", context.positionals.join(" "));
    const output = context.values.output;
    if (typeof output !== "string" || output === "") throw invalidParameter("an OUTPUT file (-o OUTPUT)", "--output", output);
    const settings = parseUpscaleSettings({ model: context.values.model, scale: context.values.scale, tile: context.values.tile });
    const provider = parseProviderRequest(context.values.provider ?? "auto", "--provider");
    const threads = context.values.threads === undefined ? undefined : Number(context.values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
      throw invalidParameter("an integer from 1 to 256", "--threads", context.values.threads);
    }

    const pool = createInferencePool({ provider, ...(threads !== undefined ? { intraOpThreads: threads } : {}) });
    const bar = new ProgressBar(context.stderr);
    try {
      const result = await upscaleFile(resolve(context.cwd, input), resolve(context.cwd, output), pool, settings, {
        signal: context.signal,
        onProgress: (progress) => bar.update(progress),
      });
      bar.finish();
      const reportDir = context.values.report;
      const review =
        typeof reportDir === "string" && reportDir !== ""
          ? await reviewFiles(resolve(context.cwd, input), result.outputPath, resolve(context.cwd, reportDir), {
              pool,
              scale: settings.scale,
              settings: { model: settings.model },
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
          ...(review ? { review: { verdict: review.report.verdict, json: review.written.json, png: review.written.png } } : {}),
        });
      } else {
        context.stderr.write(
          `${result.outputPath}: ${result.input.width}×${result.input.height} → ${result.output.width}×${result.output.height} ` +
            `with ${result.models.join(", ")} on ${result.provider} in ${formatDuration(result.timings.totalMs / 1000)}\n`,
        );
        for (const note of result.notes) context.stderr.write(`note: ${note}\n`);
        if (review) {
          context.stderr.write(`review: ${review.report.verdict} (${review.written.png})\n`);
          for (const advice of review.report.advice) context.stderr.write(`review: ${advice}\n`);
        }
      }
      return EXIT_CODES.ok;
    } finally {
      bar.finish();
      await pool.close();
    }
  },
};

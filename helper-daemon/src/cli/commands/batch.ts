/**
 * `portrait-upscale batch INPUT... -o OUTDIR`: many images with one recipe, on this machine or
 * (`--queue redis://…`) on a pool of workers. Same preset and override options as `upscale`.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PortraitError, invalidParameter, type ErrorCode } from "@portrait-upscale/shared";
import { expandInputs } from "../../batch/inputs";
import { processFile, type BatchEntry } from "../../batch/process-file";
import { PROGRESS_MODES, batchProgress, type ProgressMode } from "../../batch/progress-display";
import { BATCH_REPORT, countEntries, writeBatchReport, writeReviewPage, type BatchReport } from "../../batch/report";
import { runBatch, type BatchExecutor, type BatchOutcome } from "../../batch/run-batch";
import type { EncodedFormat } from "../../image/codec";
import { createInferencePool } from "../../inference/index";
import { queueExecutor } from "../../queue/client";
import { imageLimitsOf, removeStalePartials, settingsHash, unwritable, type UpscaleRequest } from "../../upscale/index";
import type { CliCommand } from "../command";
import { EXIT_CODES, exitCodeFor } from "../exit-codes";
import { DEVICE_OPTIONS, RECIPE_OPTIONS, poolOptionsOf, recipeFlagsOf, resolveRecipe } from "../request-options";

const FORMATS: Readonly<Record<string, EncodedFormat>> = { png: "png", jpeg: "jpeg", jpg: "jpeg", tiff: "tiff", tif: "tiff", webp: "webp" };

export const batchCommand: CliCommand = {
  name: "batch",
  summary: "Upscale many images (files, folders, patterns) into a folder; resumes where it stopped.",
  usage: [
    "batch INPUT... -o OUTDIR [--preset ID] [--creativity X] [--resemblance X] [--denoise X] [--scale N] [--model M] [--format F] [--overwrite] [--report] [--progress MODE] [--queue URL]",
  ],
  details: [
    "INPUT is an image file, a folder (searched recursively; its layout is kept under OUTDIR) or a",
    "quoted pattern such as 'shoot/**/*.jpg' (the layout below the pattern's fixed part is kept).",
    "Each output keeps its input's format unless --format says otherwise. Outputs that already exist",
    "are skipped, so an interrupted batch resumes where it stopped (--overwrite redoes them); every",
    "output is written under a temporary name and renamed, so none is ever partial, also after Ctrl-C,",
    "which writes batch.json at the stop (unfinished files pending) and exits 130.",
    "A bad input is reported with its code and the batch goes on. OUTDIR/batch.json lists per file",
    "the preset, models, time, notes and review verdict; --report also reviews each result and writes",
    "OUTDIR/review.html with the warnings first. Exit status 0 only when every input succeeded,",
    "otherwise the exit code of the first failure's class.",
    "--queue redis://HOST:PORT[/DB] (or rediss://) sends every input to the workers of that queue",
    "(`portrait-upscale worker`); inputs and OUTDIR must be on a folder the workers share.",
  ].join("\n"),
  allowPositionals: true,
  options: {
    output: { type: "string", short: "o", valueName: "OUTDIR", description: "The folder the results go to (created if missing)." },
    ...RECIPE_OPTIONS,
    format: { type: "string", valueName: "F", description: "png | jpeg | tiff | webp for every output (default: like each input)." },
    overwrite: { type: "boolean", description: "Redo outputs that already exist." },
    report: { type: "boolean", description: "Review every result; write OUTDIR/review.html and the contact sheets." },
    progress: { type: "string", valueName: "MODE", description: `${PROGRESS_MODES.join(" | ")} (auto: a bar on a terminal, lines otherwise)`, default: "auto" },
    queue: { type: "string", valueName: "URL", description: "redis://HOST:PORT[/DB]: run on the queue's workers instead of this machine." },
    ...DEVICE_OPTIONS,
  },
  async run(context) {
    const { values } = context;
    if (context.positionals.length === 0) throw invalidParameter("at least one INPUT file, folder or pattern", "batch", undefined);
    const outDirFlag = values.output;
    if (typeof outDirFlag !== "string" || outDirFlag === "") throw invalidParameter("an output folder (-o OUTDIR)", "--output", outDirFlag);
    const formatFlag = values.format;
    const format = formatFlag === undefined ? undefined : FORMATS[String(formatFlag).toLowerCase()];
    if (formatFlag !== undefined && !format) throw invalidParameter("one of png, jpeg, tiff, webp", "--format", formatFlag);
    const progressMode = (values.progress ?? "auto") as ProgressMode;
    if (!(PROGRESS_MODES as readonly string[]).includes(progressMode)) throw invalidParameter(`one of ${PROGRESS_MODES.join(", ")}`, "--progress", values.progress);
    const queueUrl = typeof values.queue === "string" ? values.queue : undefined;
    const flags = recipeFlagsOf(values);
    const poolOptions = poolOptionsOf(values);
    const outDir = resolve(context.cwd, outDirFlag);
    const { settings, config } = await resolveRecipe(context, flags);
    const items = await expandInputs(context.positionals, context.cwd, outDir, format);
    await mkdir(outDir, { recursive: true }).catch((error: unknown) => {
      throw unwritable(outDir, error);
    });
    const request: Omit<UpscaleRequest, "image"> = {
      settings,
      review: values.report === true,
      limits: imageLimitsOf(config),
      ...(format ? { format } : {}),
    };
    const startedAt = new Date().toISOString();
    const display = batchProgress(progressMode, context.stderr, context.stdout);
    let execute: BatchExecutor;
    let close: () => Promise<void>;
    let concurrency = 1;
    if (queueUrl !== undefined) {
      const queue = await queueExecutor(queueUrl, { flags, settings, request, outDir, signal: context.signal, log: (line) => context.stderr.write(`${line}\n`) });
      execute = queue.execute;
      close = queue.close;
      concurrency = items.length;
    } else {
      const pool = createInferencePool(poolOptions);
      execute = (item, onProgress) => processFile({ ...item, outDir, request }, pool, { signal: context.signal, onProgress });
      close = () => pool.close();
    }
    const earlier = await earlierEntries(outDir);
    // Temporary files of a process killed mid-write (this batch's earlier run, a worker's
    // SIGKILL) are litter once no one writes these outputs.
    const sweep = (): Promise<unknown> => Promise.all(items.map((item) => removeStalePartials(item.output)));
    await sweep();
    let outcome: BatchOutcome;
    try {
      outcome = await runBatch(items, execute, { overwrite: values.overwrite === true, concurrency, signal: context.signal, onEvent: display.onEvent });
    } finally {
      display.finish();
      await close();
    }
    await sweep();
    // A resumed batch keeps what the earlier run said of the files it skips now.
    const files = outcome.entries.map((entry) => (entry.status === "skipped" ? { ...(earlier.get(entry.output) ?? entry), status: "skipped" as const } : entry));
    const report: BatchReport = {
      version: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      recipe: { preset: settings.portrait?.presetId ?? null, model: settings.model, scale: settings.scale, settingsHash: settingsHash(settings, format) },
      ranOn: queueUrl !== undefined ? redactUrl(queueUrl) : "this machine",
      counts: countEntries(files),
      files,
    };
    await writeBatchReport(outDir, report);
    if (request.review) await writeReviewPage(outDir, report);
    const { done, skipped, failed, pending } = report.counts;
    const stopped = outcome.cancelled ? `, ${pending} pending (stopped)` : "";
    context.stderr.write(`${done} done, ${skipped} skipped, ${failed} failed${stopped}; report: ${join(outDir, BATCH_REPORT)}\n`);
    // The report is written at the stop; the run still ends as a cancelled one (exit 130).
    if (outcome.cancelled) throw new PortraitError("CANCELLED");
    const firstFailure = files.find((entry) => entry.status === "failed");
    return firstFailure ? Math.max(EXIT_CODES.internal, exitCodeFor(firstFailure.error!.code as ErrorCode)) : EXIT_CODES.ok;
  },
};

/** The entries of an earlier `batch.json` in `outDir`, by output path (none when absent or unreadable). */
async function earlierEntries(outDir: string): Promise<Map<string, BatchEntry>> {
  try {
    const report = JSON.parse(await readFile(join(outDir, BATCH_REPORT), "utf8")) as BatchReport;
    return new Map(report.files.filter((entry) => entry.status === "done").map((entry) => [entry.output, entry]));
  } catch {
    return new Map();
  }
}

/** A queue URL without its password, for reports and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

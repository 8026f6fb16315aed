/**
 * A batch's report in its output folder: `batch.json` (per file the preset, models, time,
 * notes, review verdict or error code) and, with `--report`, `review.html`, one page of the
 * review warnings with each file's contact sheet. Both are written under a temporary name and
 * renamed, like the images.
 */
import { join } from "node:path";
import { openOutput } from "../upscale/index";
import type { BatchEntry } from "./process-file";

export const BATCH_REPORT = "batch.json";
export const REVIEW_PAGE = "review.html";

/** `batch.json`'s content. */
export interface BatchReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The recipe every file ran with: preset id (or bare model) and the hash of its resolved values. */
  readonly recipe: { readonly preset: string | null; readonly model: string; readonly scale: number; readonly settingsHash: string };
  /** Where the files ran: this machine, or the queue's URL without credentials. */
  readonly ranOn: string;
  readonly counts: { readonly done: number; readonly skipped: number; readonly failed: number; readonly pending: number };
  readonly files: readonly BatchEntry[];
}

/** Counts entries by status. */
export function countEntries(entries: readonly BatchEntry[]): BatchReport["counts"] {
  const count = (status: BatchEntry["status"]): number => entries.filter((entry) => entry.status === status).length;
  return { done: count("done"), skipped: count("skipped"), failed: count("failed"), pending: count("pending") };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const pending = await openOutput(path);
  try {
    await pending.commit(new TextEncoder().encode(text));
  } finally {
    await pending.discard();
  }
}

/** Writes `batch.json` into `outDir`; returns its path. */
export async function writeBatchReport(outDir: string, report: BatchReport): Promise<string> {
  const path = join(outDir, BATCH_REPORT);
  await writeAtomically(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** The review page: warnings first, then files that passed, with each contact sheet. */
export function renderReviewPage(report: BatchReport): string {
  const reviewed = report.files.filter((entry) => entry.review);
  const warned = reviewed.filter((entry) => entry.review!.verdict === "warn");
  const passed = reviewed.filter((entry) => entry.review!.verdict === "pass");
  const section = (entry: BatchEntry): string => {
    const review = entry.review!;
    const advice = review.advice.map((line) => `<li>${escapeHtml(line)}</li>`).join("");
    return [
      `<section class="${review.verdict}">`,
      `<h2>${escapeHtml(entry.output)} — ${review.verdict}</h2>`,
      advice ? `<ul>${advice}</ul>` : "",
      `<img src="${escapeHtml(encodeURI(review.sheet))}" alt="Review of ${escapeHtml(entry.output)}" loading="lazy">`,
      `</section>`,
    ].join("\n");
  };
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>Batch review</title>',
    "<style>body{font:14px system-ui,sans-serif;margin:2em}section{margin:2em 0}.warn h2{color:#a40}.pass h2{color:#070}img{max-width:100%}</style>",
    "</head><body>",
    `<h1>Batch review: ${warned.length} warning${warned.length === 1 ? "" : "s"}, ${passed.length} passed</h1>`,
    `<p>Preset ${escapeHtml(report.recipe.preset ?? report.recipe.model)} ×${report.recipe.scale}, finished ${escapeHtml(report.finishedAt)}.</p>`,
    ...warned.map(section),
    ...passed.map(section),
    "</body></html>",
    "",
  ].join("\n");
}

/** Writes `review.html` into `outDir`; returns its path. */
export async function writeReviewPage(outDir: string, report: BatchReport): Promise<string> {
  const path = join(outDir, REVIEW_PAGE);
  await writeAtomically(path, renderReviewPage(report));
  return path;
}

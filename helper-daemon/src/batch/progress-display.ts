/**
 * How a batch shows its progress: a one-line bar with count, current file and ETA on a
 * terminal; one line per finished file otherwise; or one JSON object per event (`--progress
 * json`) for scripts and dashboards.
 */
import { formatDuration } from "../cli/progress-bar";
import type { BatchEvent } from "./run-batch";

export const PROGRESS_MODES = ["auto", "bar", "lines", "json"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const REDRAW_MS = 100;

/** Returns the event handler for `mode` ("auto": a bar on a terminal, lines otherwise). */
export function batchProgress(mode: ProgressMode, stderr: Stream, stdout: Stream): { onEvent: (event: BatchEvent) => void; finish: () => void } {
  const resolved = mode === "auto" ? (stderr.isTTY ? "bar" : "lines") : mode;
  if (resolved === "json") {
    return {
      onEvent: (event) => stdout.write(`${JSON.stringify(event.type === "progress" ? { type: "progress", input: event.item.input, ...event.progress } : flatten(event))}\n`),
      finish: () => undefined,
    };
  }
  let done = 0;
  let total = 0;
  let eta: number | undefined;
  let current = "";
  let fraction = 0;
  let lastDraw = 0;
  let drawn = false;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    const share = total === 0 ? 1 : (done + fraction) / total;
    const columns = stderr.columns ?? 80;
    const label = `${done}/${total}${eta !== undefined ? ` ETA ${formatDuration(eta)}` : ""} ${current}`;
    const width = Math.max(10, Math.min(30, columns - label.length - 10));
    const filled = Math.round(width * share);
    stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${label.slice(0, Math.max(0, columns - width - 4))}\u001b[K`);
    drawn = true;
  };
  const clear = (): void => {
    if (drawn) stderr.write("\r\u001b[K");
    drawn = false;
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case "start":
          total = event.total;
          if (event.skipped > 0) {
            clear();
            stderr.write(`${event.skipped} output${event.skipped === 1 ? "" : "s"} already exist: skipped (--overwrite redoes them)\n`);
          }
          break;
        case "file":
          current = event.item.relative;
          fraction = 0;
          if (resolved === "bar") draw(true);
          break;
        case "progress":
          fraction = event.progress.progress;
          if (resolved === "bar") draw(false);
          break;
        case "entry": {
          done = event.index;
          eta = event.etaSeconds;
          fraction = 0;
          const { entry } = event;
          const failed = entry.status === "failed" && entry.error;
          if (resolved === "lines" || failed) {
            clear();
            const time = entry.timeMs !== undefined ? ` (${formatDuration(entry.timeMs / 1000)})` : "";
            const what = failed ? `failed ${entry.input}: ${entry.error!.code}: ${entry.error!.message}` : `${entry.status} ${entry.output}${time}`;
            stderr.write(`[${event.index}/${event.total}] ${what}\n`);
          }
          if (resolved === "bar") draw(true);
          break;
        }
      }
    },
    finish: clear,
  };
}

function flatten(event: Exclude<BatchEvent, { type: "progress" }>): Record<string, unknown> {
  if (event.type === "file") return { type: "file", index: event.index, total: event.total, input: event.item.input, output: event.item.output };
  if (event.type === "entry") return { type: "entry", index: event.index, total: event.total, etaSeconds: Math.round(event.etaSeconds), ...event.entry };
  return event;
}

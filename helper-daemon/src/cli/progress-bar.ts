/**
 * Progress on stderr, in the form `--progress` asks for: a self-overwriting bar with ETA on a
 * terminal; one plain line per stage and percent for logs and scripts when stderr is not a
 * terminal; one JSON object a line (`--progress json`) for programs such as the batch runner
 * and the GIMP plug-in; or nothing.
 */
import { invalidParameter } from "@portrait-upscale/shared";
import type { UpscaleProgress } from "../upscale/index";

const REDRAW_MS = 100;

/** What `--progress` accepts; `auto` is a bar on a terminal and lines otherwise. */
export const PROGRESS_MODES = ["auto", "bar", "lines", "json", "none"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** Validates a `--progress` value. */
export function parseProgressMode(value: unknown): ProgressMode {
  if (value === undefined) return "auto";
  if (typeof value === "string" && (PROGRESS_MODES as readonly string[]).includes(value)) return value as ProgressMode;
  throw invalidParameter(`one of ${PROGRESS_MODES.join(", ")}`, "--progress", value);
}

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;
  private lastLine = "";
  private readonly mode: Exclude<ProgressMode, "auto">;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    mode: ProgressMode = "auto",
  ) {
    this.mode = mode === "auto" ? (stream.isTTY === true ? "bar" : "lines") : mode;
  }

  /** Whether anything will be written. */
  get enabled(): boolean {
    return this.mode !== "none";
  }

  update(progress: UpscaleProgress): void {
    if (this.mode === "none") return;
    if (this.mode === "json") {
      this.stream.write(`${JSON.stringify(progressRecord(progress))}\n`);
      return;
    }
    if (this.mode === "lines") {
      this.writeLine(progress);
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS && progress.progress < 1) return;
    this.lastDraw = now;
    const percent = Math.floor(progress.progress * 100);
    const tiles = progress.tiles ? ` tile ${progress.tile}/${progress.tiles}` : "";
    const eta = progress.etaSeconds !== undefined && progress.stage !== "decode" && progress.stage !== "encode" ? ` ETA ${formatDuration(progress.etaSeconds)}` : "";
    const label = `${progress.stage}${tiles}${eta}`;
    const columns = this.stream.columns ?? 80;
    const width = Math.max(10, Math.min(40, columns - label.length - 10));
    const filled = Math.round((width * percent) / 100);
    this.stream.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(percent).padStart(3)}% ${label}\u001b[K`);
    this.drawn = true;
  }

  /** One line whenever the stage or the whole percent changes. */
  private writeLine(progress: UpscaleProgress): void {
    const percent = Math.floor(progress.progress * 100);
    const key = `${progress.stage} ${percent}`;
    if (key === this.lastLine) return;
    this.lastLine = key;
    const tiles = progress.tiles ? ` tile ${progress.tile}/${progress.tiles}` : "";
    const eta = progress.etaSeconds !== undefined && progress.stage !== "decode" && progress.stage !== "encode" ? ` ETA ${formatDuration(progress.etaSeconds)}` : "";
    this.stream.write(`progress: ${percent}% ${progress.stage}${tiles}${eta}\n`);
  }

  /** Clears the line so the next message starts clean. */
  finish(): void {
    if (this.drawn && this.mode === "bar") this.stream.write("\r\u001b[K");
    this.drawn = false;
  }
}

/** Seconds as "1:05" or "12s". */
export function formatDuration(seconds: number): string {
  const rounded = Math.max(0, Math.round(seconds));
  if (rounded < 60) return `${rounded}s`;
  const minutes = Math.floor(rounded / 60);
  return `${minutes}:${String(rounded % 60).padStart(2, "0")}`;
}

/** A progress event as `--progress json` prints it: tile counts only when a tiled stage reports them. */
export function progressRecord(progress: UpscaleProgress): Record<string, unknown> {
  return {
    stage: progress.stage,
    progress: Math.round(progress.progress * 1000) / 1000,
    ...(progress.tiles ? { tile: progress.tile, tiles: progress.tiles } : {}),
    ...(progress.etaSeconds !== undefined ? { etaSeconds: Math.round(progress.etaSeconds) } : {}),
  };
}

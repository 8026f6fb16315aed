/**
 * A one-line progress bar with ETA for a terminal (stderr). Redrawn at most a few times a
 * second; silent when stderr is not a TTY, so logs and pipes stay clean.
 */
import type { UpscaleProgress } from "../upscale/index";

const REDRAW_MS = 100;

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  /** Whether anything will be drawn. */
  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(progress: UpscaleProgress): void {
    if (!this.enabled) return;
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

  /** Clears the line so the next message starts clean. */
  finish(): void {
    if (this.drawn) this.stream.write("\r\u001b[K");
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

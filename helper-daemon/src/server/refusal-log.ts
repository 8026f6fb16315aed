/**
 * Logging refused requests without letting a flood write the log: the first few refusals of
 * each minute are logged in full (who knocked and why, for "cannot connect" reports), the
 * rest only counted and summarised once a minute and at shutdown. Logging every one
 * synchronously let 20,000 refusals rotate the whole log away.
 */
import type { Logger } from "../config/log";

/** Refusals logged in full per window. */
const DETAILED_PER_WINDOW = 5;
const WINDOW_MS = 60_000;

export class RefusalLog {
  readonly #logger: Logger;
  #detailed = 0;
  readonly #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Notes one refusal with `code`; `details` are logged only while the window has room. */
  note(code: string, message: string, details: Record<string, unknown>): void {
    this.#timer ??= setTimeout(() => this.flush(), WINDOW_MS).unref();
    if (this.#detailed < DETAILED_PER_WINDOW) {
      this.#detailed += 1;
      this.#logger.warn(message, { code, ...details });
      return;
    }
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
  }

  /** Writes the summary of the refusals not logged in full, and starts a new window. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#detailed = 0;
    if (this.#counts.size === 0) return;
    this.#logger.warn("requests refused (summary)", Object.fromEntries(this.#counts));
    this.#counts.clear();
  }
}

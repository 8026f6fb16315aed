/**
 * The panel's questions "what would this job cost?" (`estimate`) waiting for their answers
 * (`estimated`, or `error` with the same request id). Kept apart from the job machinery: an
 * estimate has no transfer, no job id and no progress.
 */
import type { Estimate, Estimated } from "@portrait-upscale/shared";
import { PanelError } from "../panel-errors";

/** How long an estimate may take before the panel stops waiting (the daemon answers in milliseconds). */
export const ESTIMATE_TIMEOUT_MS = 8000;

interface Pending {
  readonly resolve: (estimate: Estimate) => void;
  readonly reject: (error: PanelError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Estimates asked and not yet answered, by request id. */
export class PendingEstimates {
  readonly #pending = new Map<string, Pending>();

  /** Waits for the answer to the estimate sent as `requestId`. */
  wait(requestId: string): Promise<Estimate> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new PanelError("DAEMON_UNREACHABLE", "The daemon did not answer the estimate in time."));
      }, ESTIMATE_TIMEOUT_MS);
      this.#pending.set(requestId, { resolve, reject, timer });
    });
  }

  /** Hands an `estimated` message to its question; false when nobody asked. */
  answer(message: Estimated): boolean {
    const pending = this.#take(message.requestId);
    if (!pending) return false;
    const { type: _type, requestId: _requestId, ...estimate } = message;
    pending.resolve(estimate);
    return true;
  }

  /**
   * Fails the question `requestId` with `error`; false when it is not an estimate's. An error
   * with no request id that says `message.type` is refused comes from a daemon that predates
   * estimates: every waiting question fails with it.
   */
  fail(requestId: string | undefined, error: PanelError): boolean {
    if (requestId === undefined) {
      if (!(error.code === "MESSAGE_INVALID" && error.data?.path === "message.type") || this.#pending.size === 0) return false;
      this.failAll(error);
      return true;
    }
    const pending = this.#take(requestId);
    pending?.reject(error);
    return pending !== undefined;
  }

  /** Fails every waiting question (the connection closed). */
  failAll(error: PanelError): void {
    for (const requestId of [...this.#pending.keys()]) this.#take(requestId)?.reject(error);
  }

  #take(requestId: string): Pending | undefined {
    const pending = this.#pending.get(requestId);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(requestId);
    return pending;
  }
}

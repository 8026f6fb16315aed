/**
 * Modal scopes with patience: when another plug-in (or an open dialog) holds Photoshop's
 * modal state, executeAsModal fails with error number 9. That usually clears within
 * moments, so the call is retried a few times with growing pauses before the user is told.
 */
import { PanelError } from "../panel-errors";
import type { ModalScope, PhotoshopAdapter } from "./adapter";

/** Pauses before each retry; four retries wait 3.75 s in all. */
export const MODAL_RETRY_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000];

/** Photoshop's error number for "the modal state is held by someone else". */
export const MODAL_BUSY_ERROR_NUMBER = 9;

/** True for the error executeAsModal throws while another plug-in holds the modal state. */
export function isModalBusyError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { number?: unknown }).number === MODAL_BUSY_ERROR_NUMBER;
}

export interface ModalRetryOptions {
  readonly delaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told before each retry, so the panel can say it is waiting for Photoshop. */
  readonly onWait?: (attempt: number, delayMs: number) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` in a modal scope, retrying while the modal state is busy; then MODAL_BUSY.
 * @example await withModalRetry(adapter, "Read layer pixels", (scope) => adapter.readPixels(scope, request));
 */
export async function withModalRetry<T>(
  adapter: PhotoshopAdapter,
  commandName: string,
  fn: (scope: ModalScope) => Promise<T>,
  options: ModalRetryOptions = {},
): Promise<T> {
  const delays = options.delaysMs ?? MODAL_RETRY_DELAYS_MS;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await adapter.executeModal(commandName, fn);
    } catch (error) {
      if (!isModalBusyError(error)) throw error;
      if (attempt >= delays.length) {
        throw new PanelError("MODAL_BUSY", undefined, { command: commandName, attempts: attempt + 1 });
      }
      options.onWait?.(attempt + 1, delays[attempt]);
      await sleep(delays[attempt]);
    }
  }
}

/**
 * Errors that arise in the panel itself (Photoshop, the connection), next to the daemon's
 * shared codes. Both kinds carry a stable code and data; ui/messages.ts maps every code to
 * words and an action in one place.
 */
import { isErrorCode, type ErrorCode, type ErrorPayload } from "@portrait-upscale/shared";

export const PANEL_ERROR_CODES = {
  NO_DOCUMENT: "No document is open.",
  NO_PIXEL_LAYER: "The active layer has no pixels to upscale.",
  DOCUMENT_32_BIT: "32-bit documents are not supported.",
  DOCUMENT_MODE_UNSUPPORTED: "Only RGB and Grayscale documents are supported.",
  MODAL_BUSY: "Photoshop is busy with another plug-in or a dialog.",
  PHOTOSHOP_COMMAND_FAILED: "Photoshop refused a command.",
  DAEMON_UNREACHABLE: "The daemon cannot be reached.",
  CONNECTION_LOST: "The connection to the daemon was lost.",
  NOT_CONNECTED: "The panel is not connected to the daemon.",
} as const;

export type PanelErrorCode = keyof typeof PANEL_ERROR_CODES;
/** Every code the panel can show: its own and the daemon's. */
export type AnyErrorCode = PanelErrorCode | ErrorCode;

/** A failure with a stable code; thrown inside the panel, shown by ui/messages.ts. */
export class PanelError extends Error {
  readonly code: AnyErrorCode;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: AnyErrorCode, message?: string, data: Record<string, unknown> = {}) {
    super(message ?? (isPanelErrorCode(code) ? PANEL_ERROR_CODES[code] : code));
    this.name = "PanelError";
    this.code = code;
    this.data = data;
  }
}

/** True for the panel's own codes. */
export function isPanelErrorCode(value: unknown): value is PanelErrorCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(PANEL_ERROR_CODES, value);
}

/** Any thrown value (or a daemon error payload) as code, message and data. */
export function toPanelError(error: unknown): PanelError {
  if (error instanceof PanelError) return error;
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code, message, data } = error as Partial<ErrorPayload> & { code: unknown };
    if (isErrorCode(code) || isPanelErrorCode(code)) {
      return new PanelError(code, typeof message === "string" ? message : undefined, (data as Record<string, unknown>) ?? {});
    }
  }
  return new PanelError("INTERNAL", error instanceof Error ? error.message : String(error));
}

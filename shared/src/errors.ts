/**
 * Every error code the product can report, defined once. Each crosses process and
 * language boundaries as `{ code, message, data? }`; UIs map the code to words and an action.
 * The table in docs/errors.md is checked against this list by a test.
 */
export const ERROR_CODES = {
  // Input and output files
  INPUT_NOT_IMAGE: "The input is not an image in a supported format (PNG, JPEG, TIFF, WebP).",
  INPUT_TRUNCATED: "The input image is truncated or corrupt.",
  INPUT_EMPTY: "The input image has no pixels.",
  INPUT_TOO_LARGE: "The input image is larger than the configured maximum.",
  OUTPUT_TOO_LARGE: "The result would be larger than the configured maximum.",
  OUTPUT_UNWRITABLE: "The output file cannot be written.",
  UNSUPPORTED_BIT_DEPTH: "This bit depth is not supported.",
  // Options
  INVALID_OPTION: "An option has an invalid value.",
  MODEL_UNKNOWN: "No model has that id.",
  MODEL_MISSING: "A model file is missing; run `npm install` (or `portrait-upscale models verify`).",
  MODEL_CORRUPT: "A model file does not match its checksum.",
  MODEL_CONVERSION_FAILED: "A model could not be converted to ONNX.",
  PRESET_UNKNOWN: "No preset has that id.",
  PRESET_INVALID: "A preset file is not valid.",
  PRESET_LOCKED: "This preset is locked; its values cannot be overridden.",
  // Runtime
  PROVIDER_UNAVAILABLE: "The requested execution provider is not available on this machine.",
  OUT_OF_MEMORY: "Ran out of memory even with the smallest tile.",
  INFERENCE_FAILED: "The model failed to run.",
  CANCELLED: "The job was cancelled.",
  // Daemon and protocol
  AUTH_REQUIRED: "A token is required.",
  AUTH_INVALID: "The token is wrong.",
  PAIRING_INVALID: "The pairing code is wrong or has expired.",
  ORIGIN_FORBIDDEN: "Requests from web pages are refused.",
  HOST_FORBIDDEN: "The Host header does not name this daemon.",
  PROTOCOL_VERSION_MISMATCH: "The client and the daemon speak different protocol versions.",
  MESSAGE_INVALID: "A message does not match the protocol.",
  MESSAGE_TOO_LARGE: "A message or upload is larger than allowed.",
  CHECKSUM_MISMATCH: "Image data arrived damaged (checksum mismatch).",
  JOB_UNKNOWN: "No job has that id (it may have expired).",
  JOB_NOT_FINISHED: "The job has no result yet.",
  TOO_MANY_JOBS: "Too many jobs are queued for this client.",
  NOT_FOUND: "No such endpoint.",
  INTERNAL: "An unexpected internal error.",
  CONFIG_TOO_NEW: "The settings were written by a newer Portrait Upscale than this one.",
  // Studio queue
  PRESET_MISMATCH: "This machine's preset differs from the one the job was made with.",
  SHARED_PATH_MISSING: "A file or folder the job names does not exist on this machine.",
  UPLOAD_STALLED: "An upload stopped arriving before it was complete.",
  RESULT_NOT_RAW: "The result is an encoded file, not raw pixels.",
  DAEMON_RESTARTED: "The daemon stopped unexpectedly and was restarted; the job was lost.",
  INPUT_UNREADABLE: "The input file cannot be read.",
  USER_MODEL_MISSING: "The preset or job names a brought model (user:NAME) that is not installed on this machine.",
  DEVICE_UNKNOWN: "The requested GPU device does not exist on this machine.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The serialised form of an error, identical in every transport. */
export interface ErrorPayload {
  readonly code: ErrorCode;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** An error with a stable code and structured data. Thrown inside; serialised at the edge. */
export class PortraitError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, data?: Record<string, unknown>) {
    super(message ?? ERROR_CODES[code]);
    this.name = "PortraitError";
    this.code = code;
    this.data = data;
  }

  toPayload(): ErrorPayload {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** True when `value` is one of {@link ERROR_CODES}' keys. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Any thrown value as an {@link ErrorPayload}; unknown failures become INTERNAL. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof PortraitError) return error.toPayload();
  const message = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL", message };
}

/**
 * The one message shape for a bad parameter: "Expected X for Y but received Z".
 * Returns a PortraitError with code INVALID_OPTION (or `code`), carrying name and expected,
 * plus any `data` given (schema errors add the field's `path`).
 */
export function invalidParameter(
  expected: string,
  name: string,
  received: unknown,
  code: ErrorCode = "INVALID_OPTION",
  data: Record<string, unknown> = {},
): PortraitError {
  return new PortraitError(code, `Expected ${expected} for ${name} but received ${describeValue(received)}`, {
    name,
    expected,
    ...(isShownValue(received) ? { received: shortened(received) } : {}),
    ...data,
  });
}

/** Values a UI can quote back to the user as they were given (the protocol's messages add their type). */
function isShownValue(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function shortened<T>(value: T): T | string {
  return typeof value === "string" && value.length > 60 ? value.slice(0, 57) + "..." : value;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `"${shortened(value)}" of type string`;
  if (typeof value === "number" || typeof value === "boolean") return `${String(value)} of type ${typeof value}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/**
 * The HTTP status each code is answered with. A `Record` over every code, so adding a code
 * without choosing its status fails the typecheck.
 */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INPUT_NOT_IMAGE: 415,
  INPUT_TRUNCATED: 400,
  INPUT_EMPTY: 400,
  INPUT_TOO_LARGE: 413,
  OUTPUT_TOO_LARGE: 413,
  OUTPUT_UNWRITABLE: 500,
  UNSUPPORTED_BIT_DEPTH: 400,
  INVALID_OPTION: 400,
  MODEL_UNKNOWN: 400,
  MODEL_MISSING: 503,
  MODEL_CORRUPT: 503,
  MODEL_CONVERSION_FAILED: 503,
  PRESET_UNKNOWN: 404,
  PRESET_INVALID: 422,
  PRESET_LOCKED: 409,
  PROVIDER_UNAVAILABLE: 503,
  OUT_OF_MEMORY: 507,
  INFERENCE_FAILED: 500,
  CANCELLED: 409,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  PAIRING_INVALID: 401,
  ORIGIN_FORBIDDEN: 403,
  HOST_FORBIDDEN: 403,
  PROTOCOL_VERSION_MISMATCH: 400,
  MESSAGE_INVALID: 400,
  MESSAGE_TOO_LARGE: 413,
  CHECKSUM_MISMATCH: 400,
  JOB_UNKNOWN: 404,
  JOB_NOT_FINISHED: 409,
  TOO_MANY_JOBS: 429,
  NOT_FOUND: 404,
  INTERNAL: 500,
  CONFIG_TOO_NEW: 500,
  PRESET_MISMATCH: 409,
  SHARED_PATH_MISSING: 404,
  UPLOAD_STALLED: 408,
  RESULT_NOT_RAW: 409,
  DAEMON_RESTARTED: 503,
  INPUT_UNREADABLE: 400,
  USER_MODEL_MISSING: 404,
  DEVICE_UNKNOWN: 400,
};

/**
 * WebSocket close codes for the errors after which the daemon closes the connection
 * (4000 + the HTTP status where one fits; 1009 is the standard "message too big").
 * Every other error is reported in an `error` message and the connection stays open.
 * ORIGIN_FORBIDDEN and HOST_FORBIDDEN never reach a socket: the upgrade is refused with 403.
 */
export const ERROR_WS_CLOSE_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  AUTH_REQUIRED: 4401,
  AUTH_INVALID: 4401,
  PROTOCOL_VERSION_MISMATCH: 4426,
  MESSAGE_TOO_LARGE: 1009,
};

/** What the user can do about each error, in words a UI can show next to the message. */
export const ERROR_ADVICE: Readonly<Record<ErrorCode, string>> = {
  INPUT_NOT_IMAGE: "Save the image as PNG, JPEG, TIFF or WebP and try again.",
  INPUT_TRUNCATED: "Open and re-save the image in your editor, then try again.",
  INPUT_EMPTY: "Select a layer or area that contains pixels.",
  INPUT_TOO_LARGE: "Crop to the face (plus a margin) or raise the input limit in the daemon's config.",
  OUTPUT_TOO_LARGE: "Choose a smaller scale or crop first; for print, upscale the crop you need.",
  OUTPUT_UNWRITABLE: "Choose another output folder, or free disk space.",
  UNSUPPORTED_BIT_DEPTH: "Convert the document to 8 or 16 bits per channel.",
  INVALID_OPTION: "Correct the option named in the message.",
  MODEL_UNKNOWN: "Choose x4plus, x4fast or thick.",
  MODEL_MISSING: "Run `npm install` or `portrait-upscale models verify`.",
  MODEL_CORRUPT: "Run `portrait-upscale models verify` to convert the model again.",
  MODEL_CONVERSION_FAILED: "Run `portrait-upscale models verify`; report the message if it persists.",
  PRESET_UNKNOWN: "Choose a preset from `portrait-upscale presets list`.",
  PRESET_INVALID: "Fix the field named in the message (`portrait-upscale presets validate FILE`).",
  PRESET_LOCKED: "Use the preset as it is, or choose an unlocked preset to change its values.",
  PROVIDER_UNAVAILABLE: "Choose another provider, or let the daemon pick (CPU always works).",
  OUT_OF_MEMORY: "Close other applications, crop the image, or choose a smaller scale.",
  INFERENCE_FAILED: "Try again; if it persists, choose the CPU provider and report the message.",
  CANCELLED: "Nothing to do: start the job again when you want it.",
  AUTH_REQUIRED: "Pair the plug-in with the daemon (`portrait-upscale pair`).",
  AUTH_INVALID: "Pair again: the daemon's token has changed.",
  PAIRING_INVALID: "Run `portrait-upscale pair` again and enter the new code within its time.",
  ORIGIN_FORBIDDEN: "Use the Photoshop panel, the GIMP plug-in or a script; web pages cannot use the daemon.",
  HOST_FORBIDDEN: "Connect to 127.0.0.1 or localhost, or configure the daemon's public host name.",
  PROTOCOL_VERSION_MISMATCH: "Update the plug-in and the daemon to the same release.",
  MESSAGE_INVALID: "Update the plug-in and the daemon to the same release; report the message if they match.",
  MESSAGE_TOO_LARGE: "Update the plug-in and the daemon to the same release; report the message if they match.",
  CHECKSUM_MISMATCH: "Try again; the image was damaged in transfer.",
  JOB_UNKNOWN: "Start the job again; finished results are kept only for a while.",
  JOB_NOT_FINISHED: "Wait for the job to finish (watch its events), then fetch the result.",
  TOO_MANY_JOBS: "Wait for a queued job to finish, or cancel one.",
  NOT_FOUND: "Check the URL against docs/api.md.",
  INTERNAL: "Try again; if it persists, report the message and the daemon's log.",
  CONFIG_TOO_NEW: "Install the newer Portrait Upscale again (your settings are kept), or move config.json aside to start from defaults.",
  PRESET_MISMATCH: "Give every machine the same preset files (the studio preset folder), then start the batch again.",
  SHARED_PATH_MISSING: "Put inputs and the output folder on the shared folder, mounted at the same path on every machine.",
  UPLOAD_STALLED: "Check the connection to the daemon, then start the job again.",
  RESULT_NOT_RAW: "Fetch this result over HTTP (GET /v1/jobs/{id}/result), or submit the job over the WebSocket.",
  DAEMON_RESTARTED: "Start the job again; if it happens again, report the reason in the daemon's log.",
  INPUT_UNREADABLE: "Check the path: the file must exist and be readable by you.",
  USER_MODEL_MISSING: "Add the model on this machine (`portrait-upscale models add FILE.onnx --role ROLE --name NAME --licence TEXT`, or --studio for the studio's folder), or choose another preset.",
  DEVICE_UNKNOWN: "Choose a device the daemon lists (the panel's or dialog's Device setting, `GET /v1/devices`, `portrait-upscale doctor`), or leave the default.",
};

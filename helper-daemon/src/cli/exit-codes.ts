/**
 * The command line's exit codes, documented in `portrait-upscale --help`, so scripts can
 * tell a bad option from a bad file from a broken model without parsing stderr.
 */
import type { ErrorCode } from "@portrait-upscale/shared";

export const EXIT_CODES = {
  ok: 0,
  /** Unexpected failures that fit no other class. */
  internal: 1,
  usage: 2,
  input: 3,
  output: 4,
  model: 5,
  runtime: 6,
  /** 128 + SIGINT, the shell convention. */
  cancelled: 130,
} as const;

const EXIT_CODE_BY_ERROR: Partial<Record<ErrorCode, number>> = {
  INVALID_OPTION: EXIT_CODES.usage,
  PRESET_UNKNOWN: EXIT_CODES.usage,
  PRESET_INVALID: EXIT_CODES.usage,
  PRESET_LOCKED: EXIT_CODES.usage,
  PRESET_MISMATCH: EXIT_CODES.usage,
  INPUT_UNREADABLE: EXIT_CODES.input,
  INPUT_NOT_IMAGE: EXIT_CODES.input,
  INPUT_TRUNCATED: EXIT_CODES.input,
  INPUT_EMPTY: EXIT_CODES.input,
  INPUT_TOO_LARGE: EXIT_CODES.input,
  UNSUPPORTED_BIT_DEPTH: EXIT_CODES.input,
  SHARED_PATH_MISSING: EXIT_CODES.input,
  OUTPUT_TOO_LARGE: EXIT_CODES.output,
  OUTPUT_UNWRITABLE: EXIT_CODES.output,
  MODEL_UNKNOWN: EXIT_CODES.model,
  MODEL_MISSING: EXIT_CODES.model,
  MODEL_CORRUPT: EXIT_CODES.model,
  MODEL_CONVERSION_FAILED: EXIT_CODES.model,
  USER_MODEL_MISSING: EXIT_CODES.model,
  PROVIDER_UNAVAILABLE: EXIT_CODES.runtime,
  DEVICE_UNKNOWN: EXIT_CODES.runtime,
  OUT_OF_MEMORY: EXIT_CODES.runtime,
  INFERENCE_FAILED: EXIT_CODES.runtime,
  CANCELLED: EXIT_CODES.cancelled,
};

/** The exit code for an error code; codes without a class (daemon, protocol) exit 1. */
export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODE_BY_ERROR[code] ?? EXIT_CODES.internal;
}

/** The table printed by the top-level help. */
export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    unexpected internal error
  2    usage: unknown command or option, invalid option value, preset problems
  3    input: missing or unreadable, not an image, truncated, empty, too large, unsupported bit depth
  4    output: cannot be written, or would be too large
  5    model: unknown, missing, corrupt, a brought model (user:NAME) not installed
  6    runtime: execution provider unavailable, out of memory, inference failed
  130  cancelled (Ctrl-C)`;

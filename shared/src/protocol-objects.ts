/**
 * The protocol's constants and the objects its messages and bodies carry: ids, images, presets,
 * models, limits, notes, review, estimates, devices, results.
 */
import { dimension, errorCodeSchema, unitInterval } from "./protocol-fields";
import { type Infer, type Schema, array, boolean, integer, nullable, number, object, oneOf, optional, record, string, unknown, schemaError } from "./schema";

/** The protocol version both ends must speak; `hello.protocol` and `/v1/health` carry it. */
export const PROTOCOL_VERSION = 1;
/** The daemon's default port on 127.0.0.1. */
export const DEFAULT_PORT = 7421;
/** The WebSocket endpoint's path. */
export const WS_PATH = "/v1/ws";
/** Largest JSON text frame either end accepts; image data always goes in binary chunks. */
export const MAX_TEXT_MESSAGE_BYTES = 1024 * 1024;

/** Output scale factors a job may ask for. */
export const SCALES = [2, 3, 4, 6, 8] as const;
export type Scale = (typeof SCALES)[number];
/** The model choices users name (CLI `--model`, query `model`, overrides.model). */
export const MODEL_CHOICES = ["x4plus", "x4fast", "thick"] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];
/** How presets and jobs name a model brought with `portrait-upscale models add` (`user:` and its name). */
export const USER_MODEL_REF = /^user:[a-z0-9][a-z0-9-]{0,47}$/;
export type UserModelRef = `user:${string}`;
/** A brought model's reference, `user:NAME`. */
export const userModelRefSchema = string({ pattern: USER_MODEL_REF, expected: '"user:NAME" (a model added with `portrait-upscale models add`)' }) as unknown as Schema<UserModelRef>;
/** True for `user:NAME` references. */
export function isUserModelRef(value: unknown): value is UserModelRef {
  return typeof value === "string" && USER_MODEL_REF.test(value);
}
/** The detail model a preset names: a shipped one or a brought one. */
export type DetailModelChoice = "x4plus" | "x4fast" | UserModelRef;
export const detailModelSchema = string({
  pattern: /^(x4plus|x4fast|user:[a-z0-9][a-z0-9-]{0,47})$/,
  expected: '"x4plus", "x4fast" or "user:NAME" (a detail model added with `portrait-upscale models add`)',
}) as unknown as Schema<DetailModelChoice>;
/** The fidelity model a preset names: the shipped one or a brought one. */
export type FidelityModelChoice = "thick" | UserModelRef;
export const fidelityModelSchema = string({
  pattern: /^(thick|user:[a-z0-9][a-z0-9-]{0,47})$/,
  expected: '"thick" or "user:NAME" (a fidelity model added with `portrait-upscale models add`)',
}) as unknown as Schema<FidelityModelChoice>;
/** Pipeline stages, in order, as reported by progress. */
export const JOB_STAGES = ["queued", "decode", "faces", "upscale", "blend", "review", "encode"] as const;
export type JobStage = (typeof JOB_STAGES)[number];
export const JOB_STATES = ["queued", "running", "done", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];
export const PRESET_SOURCES = ["built-in", "user", "studio"] as const;
export type PresetSource = (typeof PRESET_SOURCES)[number];
export const RESULT_FORMATS = ["png", "tiff", "raw"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** Chosen by the client to match `accepted`/`error` to its `submit`. */
export const requestIdSchema = string({ pattern: /^[A-Za-z0-9_.:-]{1,64}$/, expected: "an id of 1 to 64 letters, digits or _.:-" });
/** Assigned by the daemon: "j_" and up to 64 letters, digits, _ or -. */
export const jobIdSchema = string({ pattern: /^j_[A-Za-z0-9_-]{1,64}$/, expected: 'a job id ("j_" and letters, digits, _ or -)' });
/** Kebab-case: lower-case letters and digits in words joined by single hyphens. */
export const presetIdSchema = string({ pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/, maxLength: 64, expected: "a kebab-case id (like portrait-natural)" });
/** Names one binary transfer on one connection (a uint32, never 0). */
export const transferIdSchema = integer({ min: 1, max: 0xffffffff });
/** A CRC-32 as 8 lower-case hex digits, the same spelling as the HTTP `crc32` parameter. */
export const crc32HexSchema = string({ pattern: /^[0-9a-f]{8}$/, expected: "8 lower-case hex digits" });
/** An inference device as the daemon numbers it (the GPU index `--device` takes; 0 on a CPU-only machine). */
export const MAX_DEVICE_ID = 64;
export const deviceIdSchema = integer({ min: 0, max: MAX_DEVICE_ID });

/** Where the pixels sit in the Photoshop document, carried back so the result lands in place. */
export const placementSchema = object({
  left: integer({ min: -300_000, max: 300_000 }),
  top: integer({ min: -300_000, max: 300_000 }),
  documentWidth: dimension,
  documentHeight: dimension,
});
export type Placement = Infer<typeof placementSchema>;

/** Bytes of an interleaved image with no row padding (16-bit samples take two bytes). */
export function imageByteLength(width: number, height: number, channels: number, bitDepth: number): number {
  return width * height * channels * (bitDepth / 8);
}

/**
 * Describes raw interleaved pixels sent as binary chunks: rows top to bottom, no padding,
 * 16-bit samples little-endian full range 0..65535. `crc32` covers all `byteLength` bytes.
 */
export const imageHeaderSchema = object(
  {
    width: dimension,
    height: dimension,
    channels: integer({ min: 1, max: 4 }),
    bitDepth: oneOf([8, 16]),
    colorProfile: optional(string({ minLength: 1, maxLength: 256 })),
    placement: optional(placementSchema),
    byteLength: integer({ min: 1 }),
    crc32: crc32HexSchema,
  },
  {
    check(header, path, code) {
      const expected = imageByteLength(header.width, header.height, header.channels, header.bitDepth);
      if (header.byteLength !== expected) {
        throw schemaError(`${expected} (width × height × channels × bytes per sample)`, `${path}.byteLength`, header.byteLength, code);
      }
    },
  },
);
export type ImageHeader = Infer<typeof imageHeaderSchema>;

/** Values a job may change in its preset (refused by a locked preset with PRESET_LOCKED). */
export const overridesSchema = object({
  creativity: optional(unitInterval),
  resemblance: optional(unitInterval),
  denoise: optional(unitInterval),
  scale: optional(oneOf(SCALES)),
  model: optional(oneOf(MODEL_CHOICES)),
  /** The face-restore model to run after the upscale (`user:NAME`), or null for none. */
  faceRestore: optional(nullable(userModelRefSchema)),
  /** How much of the restored face is mixed in, 0 (none) to 1. */
  faceRestoreStrength: optional(unitInterval),
});
export type Overrides = Infer<typeof overridesSchema>;

/** What a client needs to show and choose a preset. */
export const presetSummarySchema = object({
  id: presetIdSchema,
  name: string({ minLength: 1, maxLength: 80 }),
  description: string({ maxLength: 500 }),
  scale: oneOf(SCALES),
  locked: boolean(),
  source: oneOf(PRESET_SOURCES),
  values: object({
    creativity: unitInterval,
    resemblance: unitInterval,
    denoise: unitInterval,
    model: detailModelSchema,
    twoPass: boolean(),
    cleanup: boolean(),
    grain: boolean(),
    /** Absent from daemons that predate face restore; null when the preset restores no faces. */
    faceRestore: optional(nullable(object({ model: userModelRefSchema, strength: unitInterval }))),
  }),
});
export type PresetSummary = Infer<typeof presetSummarySchema>;

/** What a brought model (`id` "user:NAME") is for; shipped models say nothing. */
export const BROUGHT_MODEL_ROLES = ["detail", "fidelity", "face-restore"] as const;
export const modelSummarySchema = object({
  id: string({ minLength: 1, maxLength: 64 }),
  name: string({ minLength: 1, maxLength: 120 }),
  scale: integer({ min: 1, max: 8 }),
  installed: boolean(),
  /** Only on brought models: clients list the face-restore ones in their face-restore chooser. */
  role: optional(oneOf(BROUGHT_MODEL_ROLES)),
});
export type ModelSummary = Infer<typeof modelSummarySchema>;

/** Limits the daemon enforces, announced so clients can refuse early with a clear message. */
export const limitsSchema = object({
  maxInputPixels: integer({ min: 1 }),
  maxOutputPixels: integer({ min: 1 }),
  /** Largest payload of one binary chunk, in bytes (at most 1 MiB). */
  maxChunkBytes: integer({ min: 1, max: 1024 * 1024 }),
  maxTextMessageBytes: integer({ min: 1 }),
  /** Chunks a sender may have unacknowledged (the credit window). */
  window: integer({ min: 1, max: 64 }),
  maxQueuedJobs: integer({ min: 1 }),
  /** How long a finished result stays fetchable (`fetch-result`, `GET …/result`). */
  resultTtlSeconds: integer({ min: 0 }),
});
export type Limits = Infer<typeof limitsSchema>;

export const errorPayloadSchema = object({
  code: errorCodeSchema,
  message: string(),
  data: optional(record(unknown())),
});

/**
 * One automated 100 % check of a facial region (see the portrait guide's review). `face` is
 * the face's index (absent for whole-image checks); it passes when `value` ≤ `limit` and,
 * for two-sided checks such as the texture ratio, `value` ≥ `min`.
 */
export const reviewCheckSchema = object({
  face: optional(integer({ min: 0 })),
  region: string({ minLength: 1, maxLength: 64 }),
  metric: string({ minLength: 1, maxLength: 64 }),
  value: number(),
  min: optional(number()),
  limit: number(),
  passed: boolean(),
  advice: optional(string({ maxLength: 500 })),
});
export const reviewReportSchema = object({
  verdict: oneOf(["pass", "warn", "fail"]),
  faces: integer({ min: 0 }),
  checks: array(reviewCheckSchema, { maxItems: 256 }),
  advice: optional(string({ maxLength: 1000 })),
});
export type ReviewReport = Infer<typeof reviewReportSchema>;

/**
 * Optional parts of protocol 1 a client asks for in `hello.features`. The daemon sends them
 * only to clients that asked (and lists the ones it has in `welcome.features`), so clients
 * that predate them, whose parsers refuse unknown fields, keep receiving what they know.
 * `estimate`: `progress` carries the job's `estimateSeconds`, and `tile`/`tiles` only while
 * a model's tiles are counted (older clients keep receiving `tile: 0, tiles: 0`).
 * `devices`: `welcome` lists the daemon's inference devices, so the client can offer a choice
 * (`submit.device`, `estimate.device`; accepted from any client, since they are its own fields).
 */
export const PROTOCOL_FEATURES = ["notes", "review-crops", "estimate", "devices"] as const;
export type ProtocolFeature = (typeof PROTOCOL_FEATURES)[number];

/**
 * Something the user should know about a result (a small face, a scale beyond what the
 * models can resolve, no face found). `code` is stable for clients to put in their own
 * words; `message` is the daemon's English for codes a client does not know.
 */
export const jobNoteSchema = object({
  code: string({ pattern: /^[A-Z][A-Z0-9_]{0,63}$/, expected: "an upper-case note code" }),
  message: string({ maxLength: 500 }),
});
export type JobNote = Infer<typeof jobNoteSchema>;

/**
 * One before/after crop of a reviewed region: a PNG with the source enlarged to the output
 * scale on the left and the result on the right, side by side, same size. `face` and
 * `region` match the review's checks; `byteLength` says where it ends in its transfer.
 */
export const reviewCropSchema = object({
  face: optional(integer({ min: 0 })),
  region: string({ minLength: 1, maxLength: 64 }),
  width: dimension,
  height: dimension,
  byteLength: integer({ min: 1 }),
});
export type ReviewCrop = Infer<typeof reviewCropSchema>;

/** A received (or produced) crop: its description with the PNG bytes in place of their length. */
export type ReviewCropImage = Omit<ReviewCrop, "byteLength"> & { readonly png: Uint8Array };

export const timingsSchema = object({ totalMs: number({ min: 0 }), inferenceMs: number({ min: 0 }) });

/**
 * A job's predicted time on the daemon's machine, before it runs: the cost model per model
 * and provider (manifest figures) times this machine's calibration (`portrait-upscale
 * calibrate`), the same prediction the CLI prints. `calibrated` is false when the reference
 * figures stood in; `models` lists each model pass with the input megapixels it sees.
 */
export const estimateShape = {
  seconds: number({ min: 0 }),
  provider: string({ minLength: 1, maxLength: 32 }),
  device: deviceIdSchema,
  calibrated: boolean(),
  models: array(object({ id: string({ minLength: 1, maxLength: 64 }), megapixels: number({ min: 0 }), seconds: number({ min: 0 }) }), { maxItems: 16 }),
};
export const estimateSchema = object(estimateShape);
export type Estimate = Infer<typeof estimateSchema>;

/**
 * One inference device jobs can run on: `id` is what `submit.device`, `estimate.device` and
 * the `device` query take; exactly one is the `default` (the config's `device`), used when a
 * job names none. `memoryBytes` is present when the driver reports it.
 */
export const deviceSummarySchema = object({
  id: deviceIdSchema,
  provider: string({ minLength: 1, maxLength: 32 }),
  name: string({ minLength: 1, maxLength: 120 }),
  memoryBytes: optional(integer({ min: 1 })),
  default: boolean(),
});
export type DeviceSummary = Infer<typeof deviceSummarySchema>;

/** What a finished job produced (HTTP JobStatus.result, NDJSON `done`). */
export const jobResultSchema = object({
  width: dimension,
  height: dimension,
  channels: integer({ min: 1, max: 4 }),
  bitDepth: oneOf([8, 16]),
  provider: string({ minLength: 1, maxLength: 32 }),
  models: array(string({ minLength: 1, maxLength: 64 })),
  timings: timingsSchema,
  /** Absent from daemons that predate notes. */
  notes: optional(array(jobNoteSchema, { maxItems: 32 })),
});
export type JobResult = Infer<typeof jobResultSchema>;

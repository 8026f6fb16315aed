/**
 * The daemon protocol, defined once: WebSocket messages (`/v1/ws`, JSON text frames) and the
 * HTTP bodies of docs/api.md. Each schema validates, and its TypeScript type derives from it.
 * Image bytes never travel in JSON: see ./frames for binary chunks and their flow control.
 */
import { ERROR_CODES, type ErrorCode, PortraitError } from "./errors";
import {
  type Infer,
  type Schema,
  array,
  boolean,
  integer,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  parse,
  parseQuery,
  record,
  string,
  union,
  unknown,
  schemaError,
} from "./schema";

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

// ---------------------------------------------------------------- building blocks

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
const unitInterval = number({ min: 0, max: 1 });
/** An inference device as the daemon numbers it (the GPU index `--device` takes; 0 on a CPU-only machine). */
export const MAX_DEVICE_ID = 64;
export const deviceIdSchema = integer({ min: 0, max: MAX_DEVICE_ID });
const dimension = integer({ min: 1, max: 300_000 });
const errorCodeSchema = oneOf(Object.keys(ERROR_CODES) as ErrorCode[]);

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
/** A feature name: any kebab-case word, so a client may ask for features this daemon has never heard of. */
const featureNamesSchema = array(string({ pattern: /^[a-z][a-z0-9-]{0,31}$/, expected: "a kebab-case feature name" }), { maxItems: 16 });

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
const deviceListSchema = array(deviceSummarySchema, { minItems: 1, maxItems: MAX_DEVICE_ID + 1 });

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

// ---------------------------------------------------------------- WebSocket: both directions

/**
 * Flow control: the receiver of a transfer reports how many chunks it has taken in (counted
 * from the start, so acks are idempotent). The sender may send chunk `i` only while
 * `i < received + window`.
 */
export const ackSchema = object({ type: literal("ack"), transferId: transferIdSchema, received: integer({ min: 0 }) });
export type Ack = Infer<typeof ackSchema>;

export const pingSchema = object({ type: literal("ping") });
export const pongSchema = object({ type: literal("pong") });

// ---------------------------------------------------------------- WebSocket: client → daemon

/** First message on every connection. `protocol` is any integer so a mismatch gets its own code. */
export const helloSchema = object({
  type: literal("hello"),
  protocol: integer({ min: 0 }),
  client: object({ name: string({ minLength: 1, maxLength: 64 }), version: string({ minLength: 1, maxLength: 32 }) }),
  /** Any length is accepted here so a wrong token is AUTH_INVALID, not a schema error. */
  token: optional(string({ minLength: 1, maxLength: 256 })),
  /** Optional parts of the protocol this client understands (see {@link PROTOCOL_FEATURES}). */
  features: optional(featureNamesSchema),
});
export type Hello = Infer<typeof helloSchema>;

/** Exchanges the one-time code shown by `portrait-upscale pair` for the token. */
export const pairSchema = object({
  type: literal("pair"),
  code: string({ pattern: /^[0-9]{3}-[0-9]{3}$/, expected: 'a pairing code like "123-456"' }),
});

/** Starts a job; the image's bytes follow as binary chunks once the daemon answers `accepted`. */
export const submitSchema = object({
  type: literal("submit"),
  requestId: requestIdSchema,
  preset: presetIdSchema,
  overrides: overridesSchema,
  review: boolean(),
  /** Keep the result after it has been fetched (until the TTL), for another `fetch-result`. */
  keep: optional(boolean()),
  /** The device to run on (one `welcome.devices` lists); the daemon's default when absent. */
  device: optional(deviceIdSchema),
  image: imageHeaderSchema,
});
export type Submit = Infer<typeof submitSchema>;

/** Asks what a job with these settings would cost on an image of this size, without sending pixels; answered by `estimated`. */
export const estimateRequestSchema = object({
  type: literal("estimate"),
  requestId: requestIdSchema,
  preset: presetIdSchema,
  overrides: overridesSchema,
  /** The device the job would run on; the daemon's default when absent. */
  device: optional(deviceIdSchema),
  width: dimension,
  height: dimension,
});
export type EstimateRequest = Infer<typeof estimateRequestSchema>;

export const cancelSchema = object({ type: literal("cancel"), jobId: jobIdSchema });
/** Asks again for a finished job's result, e.g. after a reconnect. */
export const fetchResultSchema = object({ type: literal("fetch-result"), jobId: jobIdSchema });

/** Every message a client may send. */
export const clientMessageSchema = union(
  "type",
  {
    hello: helloSchema,
    pair: pairSchema,
    submit: submitSchema,
    estimate: estimateRequestSchema,
    ack: ackSchema,
    cancel: cancelSchema,
    "fetch-result": fetchResultSchema,
    ping: pingSchema,
  },
  { pathFromTag: true },
);
export type ClientMessage = Infer<typeof clientMessageSchema>;

// ---------------------------------------------------------------- WebSocket and HTTP: daemon → client

const infoShape = {
  protocol: integer({ min: 1 }),
  daemonVersion: string({ minLength: 1, maxLength: 32 }),
  providers: object({ available: array(string({ minLength: 1, maxLength: 32 })), active: string({ minLength: 1, maxLength: 32 }) }),
  models: array(modelSummarySchema),
  presets: array(presetSummarySchema),
  defaultPreset: presetIdSchema,
  limits: limitsSchema,
};

/**
 * Answers a valid `hello` (or `pair`): what this daemon offers. `features` (only to a client
 * that sent `hello.features`) lists those of the client's features the daemon will use.
 */
export const welcomeSchema = object({
  type: literal("welcome"),
  ...infoShape,
  features: optional(featureNamesSchema),
  /** Feature `devices`: the inference devices jobs can run on. */
  devices: optional(deviceListSchema),
});
export type Welcome = Infer<typeof welcomeSchema>;

export const pairedSchema = object({ type: literal("paired"), token: string({ minLength: 16, maxLength: 256 }) });

/**
 * The daemon took the job: send the image as chunks of `chunkBytes` on `transferId`,
 * at most `window` unacknowledged.
 */
export const acceptedSchema = object({
  type: literal("accepted"),
  requestId: requestIdSchema,
  jobId: jobIdSchema,
  transferId: transferIdSchema,
  chunkBytes: integer({ min: 1, max: 1024 * 1024 }),
  window: integer({ min: 1, max: 64 }),
});
export type Accepted = Infer<typeof acceptedSchema>;

/** The answer to `estimate`, matched to it by `requestId`. */
export const estimatedSchema = object({ type: literal("estimated"), requestId: requestIdSchema, ...estimateShape });
export type Estimated = Infer<typeof estimatedSchema>;

/**
 * Where a job is. `tile`/`tiles` are present only while a model's tiles are counted.
 * `estimateSeconds` (feature `estimate`) is the prediction made when the job was accepted;
 * `etaSeconds` starts from it and blends in the measured rate as work is done (null only
 * when the daemon could make no prediction and has timed nothing yet).
 */
export const progressSchema = object({
  type: literal("progress"),
  jobId: jobIdSchema,
  stage: oneOf(JOB_STAGES),
  tile: optional(integer({ min: 0 })),
  tiles: optional(integer({ min: 0 })),
  fraction: unitInterval,
  etaSeconds: nullable(number({ min: 0 })),
  estimateSeconds: optional(number({ min: 0 })),
});
export type Progress = Infer<typeof progressSchema>;

export const reviewSchema = object({ type: literal("review"), jobId: jobIdSchema, report: reviewReportSchema });

/**
 * Feature `review-crops`: after `review` and before `result`, the review's before/after crops
 * follow as one binary transfer on `transferId` (acknowledged like a result): the PNGs of
 * `crops`, one after the other, `byteLength` in all with CRC-32 `crc32`. The daemon sends
 * `result` once this transfer is fully acknowledged, so one transfer at a time is in flight.
 */
export const reviewCropsSchema = object(
  {
    type: literal("review-crops"),
    jobId: jobIdSchema,
    transferId: transferIdSchema,
    chunkBytes: integer({ min: 1, max: 1024 * 1024 }),
    window: integer({ min: 1, max: 64 }),
    byteLength: integer({ min: 1 }),
    crc32: crc32HexSchema,
    crops: array(reviewCropSchema, { minItems: 1, maxItems: 64 }),
  },
  {
    check(message, path, code) {
      const sum = message.crops.reduce((total, crop) => total + crop.byteLength, 0);
      if (sum !== message.byteLength) throw schemaError(`${sum} (the sum of the crops' byteLength)`, `${path}.byteLength`, message.byteLength, code);
    },
  },
);
export type ReviewCrops = Infer<typeof reviewCropsSchema>;

/**
 * The job is done; its pixels follow as binary chunks on `transferId` (the client acks them).
 * `image` describes the output; `placement`, if any, is scaled to the output document.
 */
export const resultSchema = object({
  type: literal("result"),
  jobId: jobIdSchema,
  transferId: transferIdSchema,
  chunkBytes: integer({ min: 1, max: 1024 * 1024 }),
  window: integer({ min: 1, max: 64 }),
  image: imageHeaderSchema,
  provider: string({ minLength: 1, maxLength: 32 }),
  models: array(string({ minLength: 1, maxLength: 64 })),
  timings: timingsSchema,
  /** Feature `notes`: only to clients that asked for it. */
  notes: optional(array(jobNoteSchema, { maxItems: 32 })),
});
export type Result = Infer<typeof resultSchema>;

export const cancelledSchema = object({ type: literal("cancelled"), jobId: jobIdSchema });

/** A failure, tied to the request or job it concerns when there is one. */
export const errorMessageSchema = object({
  type: literal("error"),
  requestId: optional(requestIdSchema),
  jobId: optional(jobIdSchema),
  code: errorCodeSchema,
  message: string(),
  data: optional(record(unknown())),
});
export type ErrorMessage = Infer<typeof errorMessageSchema>;

/** Every message the daemon may send. */
export const daemonMessageSchema = union(
  "type",
  {
    welcome: welcomeSchema,
    paired: pairedSchema,
    accepted: acceptedSchema,
    estimated: estimatedSchema,
    ack: ackSchema,
    progress: progressSchema,
    review: reviewSchema,
    "review-crops": reviewCropsSchema,
    result: resultSchema,
    cancelled: cancelledSchema,
    error: errorMessageSchema,
    pong: pongSchema,
  },
  { pathFromTag: true },
);
export type DaemonMessage = Infer<typeof daemonMessageSchema>;

/** Narrows a message union to one `type`. */
export type MessageOfType<M extends { type: string }, T extends M["type"]> = Extract<M, { type: T }>;

/**
 * Parses one JSON text frame from a client. Throws MESSAGE_TOO_LARGE or MESSAGE_INVALID
 * ("Expected … for submit.image.width but received …").
 */
export function parseClientMessage(text: string): ClientMessage {
  return parse(clientMessageSchema, parseJsonText(text), "message");
}

/** Parses one JSON text frame from the daemon (the panel's side of {@link parseClientMessage}). */
export function parseDaemonMessage(text: string): DaemonMessage {
  return parse(daemonMessageSchema, parseJsonText(text), "message");
}

/** Serialises a message for a text frame. */
export function encodeMessage(message: ClientMessage | DaemonMessage): string {
  return JSON.stringify(message);
}

/** Builds the `error` message for any thrown value, tied to a request or job when known. */
export function errorMessage(error: unknown, ids: { requestId?: string; jobId?: string } = {}): ErrorMessage {
  const payload =
    error instanceof PortraitError ? error.toPayload() : { code: "INTERNAL" as const, message: error instanceof Error ? error.message : String(error) };
  return { type: "error", ...ids, ...payload };
}

function parseJsonText(text: string): unknown {
  // A UTF-16 length over the limit means at least that many UTF-8 bytes too.
  if (text.length > MAX_TEXT_MESSAGE_BYTES) {
    throw new PortraitError("MESSAGE_TOO_LARGE", `Expected at most ${MAX_TEXT_MESSAGE_BYTES} bytes for a text message but received ${text.length}`, {
      path: "message",
      limit: MAX_TEXT_MESSAGE_BYTES,
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw schemaError("JSON text", "message", text, "MESSAGE_INVALID");
  }
}

// ---------------------------------------------------------------- HTTP bodies

/** `GET /v1/health` (no token needed). */
export const healthSchema = object({ name: literal("portrait-upscale"), version: string({ minLength: 1, maxLength: 32 }), protocol: integer({ min: 1 }) });
export type Health = Infer<typeof healthSchema>;

/** `GET /v1/info`: the `welcome` message without its type. */
export const infoSchema = object(infoShape);
export type Info = Infer<typeof infoSchema>;

export const pairRequestSchema = object({ code: pairSchema.shape.code });
export const pairResponseSchema = object({ token: pairedSchema.shape.token });
export const presetsResponseSchema = object({ presets: array(presetSummarySchema) });
export const jobCreatedSchema = object({ id: jobIdSchema });
/** `GET /v1/devices`: the inference devices jobs can run on (see {@link deviceSummarySchema}). */
export const devicesResponseSchema = object({ devices: deviceListSchema });
export type DevicesResponse = Infer<typeof devicesResponseSchema>;

/** Every error answer's body. */
export const errorBodySchema = object({ error: errorPayloadSchema });
export type ErrorBody = Infer<typeof errorBodySchema>;

/** `GET /v1/jobs/{id}`. */
export const jobStatusSchema = object({
  id: jobIdSchema,
  state: oneOf(JOB_STATES),
  stage: nullable(oneOf(JOB_STAGES)),
  progress: unitInterval,
  /** Present only while a model's tiles are counted (and after, as the last count). */
  tile: optional(integer({ min: 0 })),
  tiles: optional(integer({ min: 0 })),
  etaSeconds: nullable(number({ min: 0 })),
  /** The prediction made when the job was accepted (absent when none could be made). */
  estimateSeconds: optional(number({ min: 0 })),
  /** The device the job runs (or ran) on; absent from daemons that predate the choice. */
  device: optional(deviceIdSchema),
  error: nullable(errorPayloadSchema),
  result: nullable(jobResultSchema),
});
export type JobStatus = Infer<typeof jobStatusSchema>;

/** The last line of a job's NDJSON event stream when it succeeded. */
export const doneEventSchema = object({ type: literal("done"), jobId: jobIdSchema, result: jobResultSchema });
export const failedEventSchema = object({ type: literal("failed"), jobId: jobIdSchema, error: errorPayloadSchema });

/** One line of `GET /v1/jobs/{id}/events`: `progress` lines, then one `done`, `failed` or `cancelled`. */
export const jobEventSchema = union(
  "type",
  { progress: progressSchema, done: doneEventSchema, failed: failedEventSchema, cancelled: cancelledSchema },
  { pathFromTag: true },
);
export type JobEvent = Infer<typeof jobEventSchema>;

/** What a job runs with, as the query string names it: the same fields for a job and for its estimate. */
const recipeQueryShape = {
  preset: optional(presetIdSchema),
  model: optional(oneOf(MODEL_CHOICES)),
  scale: optional(oneOf(SCALES)),
  creativity: optional(unitInterval),
  resemblance: optional(unitInterval),
  denoise: optional(unitInterval),
  /** `user:NAME` (or NAME) restores faces with that brought model; `off` restores none. */
  faceRestore: optional(string({ pattern: /^(off|(user:)?[a-z0-9][a-z0-9-]{0,47})$/, expected: '"user:NAME" or "off"' })),
  faceRestoreStrength: optional(unitInterval),
  tile: optional(integer({ min: 32, max: 4096 })),
  /** The device to run on (`GET /v1/devices`); the daemon's default when absent. */
  device: optional(deviceIdSchema),
};

/**
 * Job options: the query string of `POST /v1/jobs` (or the `X-Job-Options` JSON header),
 * named like the CLI's options. Raw-pixel parameters share the query string.
 */
export const jobQuerySchema = object({
  ...recipeQueryShape,
  review: optional(boolean()),
  format: optional(oneOf(RESULT_FORMATS)),
  width: optional(dimension),
  height: optional(dimension),
  channels: optional(integer({ min: 1, max: 4 })),
  bitDepth: optional(oneOf([8, 16])),
  colorProfile: optional(string({ minLength: 1, maxLength: 256 })),
  crc32: optional(crc32HexSchema),
});
export type JobQuery = Infer<typeof jobQuerySchema>;

/**
 * `GET /v1/estimate`: a job's options (as `POST /v1/jobs` takes them) and the image's size,
 * without the pixels. Answered with {@link estimateSchema}.
 */
export const estimateQuerySchema = object({
  ...recipeQueryShape,
  width: dimension,
  height: dimension,
});
export type EstimateQuery = Infer<typeof estimateQuerySchema>;

/** Reads `GET /v1/estimate`'s query string; errors are INVALID_OPTION naming `query.<key>`. */
export function parseEstimateQuery(query: Readonly<Record<string, string | undefined>>): EstimateQuery {
  return parseQuery(estimateQuerySchema, query, "query", "INVALID_OPTION");
}

/** The parameters `application/octet-stream` uploads need to be read as pixels. */
export const rawImageParamsSchema = object({
  width: dimension,
  height: dimension,
  channels: integer({ min: 1, max: 4 }),
  bitDepth: oneOf([8, 16]),
  colorProfile: optional(string({ minLength: 1, maxLength: 256 })),
  crc32: optional(crc32HexSchema),
});
export type RawImageParams = Infer<typeof rawImageParamsSchema>;

/** `GET /v1/jobs/{id}/result?format=`. */
export const resultQuerySchema = object({ format: optional(oneOf(RESULT_FORMATS)) });

/** Response headers of a raw result, in the order documented. */
export const RAW_RESULT_HEADERS = {
  width: "X-Image-Width",
  height: "X-Image-Height",
  channels: "X-Image-Channels",
  bitDepth: "X-Image-Bit-Depth",
  crc32: "X-Image-Crc32",
} as const;

/**
 * Reads `POST /v1/jobs`' query string (values as strings) into typed options.
 * Errors are INVALID_OPTION naming `query.<key>`.
 * @example parseJobQuery(Object.fromEntries(url.searchParams))
 */
export function parseJobQuery(query: Readonly<Record<string, string | undefined>>): JobQuery {
  return parseQuery(jobQuerySchema, query, "query", "INVALID_OPTION");
}

/** Reads the `X-Job-Options` header (a JSON object with the query's keys, typed values). */
export function parseJobOptionsHeader(text: string): JobQuery {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw schemaError("a JSON object", "X-Job-Options", text, "INVALID_OPTION");
  }
  return parse(jobQuerySchema, value, "X-Job-Options", "INVALID_OPTION");
}

/** The raw-pixel parameters of a job query, required when the body is `application/octet-stream`. */
export function rawImageParams(query: JobQuery): RawImageParams {
  const { width, height, channels, bitDepth, colorProfile, crc32 } = query;
  return parse(rawImageParamsSchema, { width, height, channels, bitDepth, colorProfile, crc32 }, "query", "INVALID_OPTION");
}

/**
 * The WebSocket messages (`/v1/ws`, JSON text frames) in both directions, and parsing and
 * encoding a text frame.
 */
import { PortraitError } from "./errors";
import { dimension, errorCodeSchema, featureNamesSchema, unitInterval } from "./protocol-fields";
import {
  JOB_STAGES,
  MAX_TEXT_MESSAGE_BYTES,
  crc32HexSchema,
  deviceIdSchema,
  estimateShape,
  imageHeaderSchema,
  jobIdSchema,
  jobNoteSchema,
  overridesSchema,
  presetIdSchema,
  requestIdSchema,
  reviewCropSchema,
  reviewReportSchema,
  timingsSchema,
  transferIdSchema,
} from "./protocol-objects";
import { deviceListSchema, infoShape } from "./protocol-info";
import { type Infer, array, boolean, integer, literal, nullable, number, object, oneOf, optional, parse, record, string, union, unknown, schemaError } from "./schema";

/**
 * Flow control: the receiver of a transfer reports how many chunks it has taken in (counted
 * from the start, so acks are idempotent). The sender may send chunk `i` only while
 * `i < received + window`.
 */
export const ackSchema = object({ type: literal("ack"), transferId: transferIdSchema, received: integer({ min: 0 }) });
export type Ack = Infer<typeof ackSchema>;

export const pingSchema = object({ type: literal("ping") });
export const pongSchema = object({ type: literal("pong") });

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

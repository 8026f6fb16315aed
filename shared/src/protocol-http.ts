/**
 * The HTTP bodies and query strings of docs/api.md: health, info, devices, jobs, events,
 * estimates, raw pixels and results.
 */
import { dimension, unitInterval } from "./protocol-fields";
import {
  JOB_STAGES,
  JOB_STATES,
  MODEL_CHOICES,
  RESULT_FORMATS,
  SCALES,
  crc32HexSchema,
  deviceIdSchema,
  errorPayloadSchema,
  jobIdSchema,
  jobResultSchema,
  presetIdSchema,
  presetSummarySchema,
} from "./protocol-objects";
import { deviceListSchema, infoShape } from "./protocol-info";
import { cancelledSchema, pairSchema, pairedSchema, progressSchema } from "./protocol-messages";
import { type Infer, array, boolean, integer, literal, nullable, number, object, oneOf, optional, parse, parseQuery, string, union, schemaError } from "./schema";

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

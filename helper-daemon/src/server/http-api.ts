/**
 * The HTTP API of docs/api.md. Every request passes the Host and Origin checks, then the
 * token (except `GET /v1/health`); bodies are size-checked while they stream; errors leave
 * as `{"error": {code, message, data}}` with the status of `ERROR_HTTP_STATUS`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ERROR_HTTP_STATUS,
  PortraitError,
  RAW_RESULT_HEADERS,
  imageByteLength,
  parse,
  parseJobOptionsHeader,
  parseEstimateQuery,
  parseJobQuery,
  parseQuery,
  pairRequestSchema,
  rawImageParams,
  resultQuerySchema,
  toErrorPayload,
  type Estimate,
  type JobEvent as WireJobEvent,
  type JobQuery,
  type JobStatus,
} from "@portrait-upscale/shared";
import { crc32Hex } from "../jobs/engine";
import type { JobInput, JobOptions, ResultFormat } from "../jobs/types";
import { declaredLength, readBody, readExactBody } from "./body";
import type { DaemonContext } from "./context";
import { healthOf, infoOf, progressEvent } from "./context";
import { convertResult } from "./convert";
import { encodedImageHeader } from "./encoded-upload";
import { checkImageSize } from "./limits";
import { PRE_AUTH_MAX_MESSAGE_BYTES, bearerToken, checkHost, checkOrigin, checkToken, pairingRequester } from "./security";

const REFUSALS: ReadonlySet<string> = new Set(["AUTH_REQUIRED", "AUTH_INVALID", "ORIGIN_FORBIDDEN", "HOST_FORBIDDEN", "PAIRING_INVALID"]);

/** The one client id all HTTP requests share: HTTP has no connection to tie jobs to. */
export const HTTP_CLIENT_ID = "http";
/** Bytes of an unread, refused upload drained before the connection is dropped. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;
/** Bytes per write when streaming a result. */
const RESULT_WRITE_BYTES = 1024 * 1024;

/** Handles one HTTP request (the WebSocket upgrade is handled separately). */
export async function handleHttp(context: DaemonContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    checkHost(request.headers, context.allowedHosts);
    checkOrigin(request.headers, context.config.allowedOrigins);
    const url = new URL(request.url ?? "/", "http://daemon");
    const method = request.method ?? "GET";
    const path = url.pathname;
    if (method === "GET" && path === "/v1/health") return sendJson(response, 200, healthOf());
    if (method === "POST" && path === "/v1/pair") return await pair(context, request, response);
    const client = checkToken(bearerToken(request.headers), context.token, context.clientTokens);
    context.connections.trust(request.socket);
    // A per-client token sees only its own jobs; the machine's token sees every job.
    const clientId = client === undefined ? HTTP_CLIENT_ID : `client:${client}`;
    if (method === "GET" && path === "/v1/info") return sendJson(response, 200, infoOf(context));
    if (method === "GET" && path === "/v1/presets") return sendJson(response, 200, { presets: context.catalog.presets() });
    if (method === "GET" && path === "/v1/devices") return sendJson(response, 200, { devices: context.catalog.devices() });
    if (method === "POST" && path === "/v1/pair/code") return sendJson(response, 200, context.pairing.createCode());
    if (method === "POST" && path === "/v1/jobs") return await createJob(context, request, response, url, clientId);
    if (method === "GET" && path === "/v1/estimate") return sendJson(response, 200, estimate(context, url));
    const match = /^\/v1\/jobs\/(j_[A-Za-z0-9_-]{1,64})(\/events|\/result|\/review|\/review\.png)?$/.exec(path);
    if (match) {
      const [, id, tail] = match;
      if (client !== undefined && context.engine.has(id) && context.engine.owner(id).clientId !== clientId) throw new PortraitError("JOB_UNKNOWN", undefined, { id });
      if (method === "GET" && tail === undefined) return sendJson(response, 200, context.engine.status(id));
      if (method === "DELETE" && tail === undefined) return await deleteJob(context, id, response);
      if (method === "GET" && tail === "/events") return streamEvents(context, id, request, response);
      if (method === "GET" && tail === "/result") return await sendResult(context, id, url, response);
      if (method === "GET" && tail === "/review") return sendReview(context, id, response);
      if (method === "GET" && tail === "/review.png") return sendReviewSheet(context, id, response);
    }
    throw new PortraitError("NOT_FOUND", `No endpoint ${method} ${path}.`, { method, path });
  } catch (error) {
    sendError(context, request, response, error);
  }
}

/**
 * A client that sent `Expect: 100-continue` (curl does for big uploads) waits for this before
 * sending the body, so everything checkable from the headers is refused without the upload.
 */
function continueIfExpected(request: IncomingMessage, response: ServerResponse): void {
  if (/100-continue/i.test(request.headers.expect ?? "")) response.writeContinue();
}

async function pair(context: DaemonContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  continueIfExpected(request, response);
  const text = await readBody(request, PRE_AUTH_MAX_MESSAGE_BYTES, { stallMs: context.network.uploadStallMs });
  const body = parse(pairRequestSchema, parseJsonBody(text), "body");
  const requester = pairingRequester(request.socket.remoteAddress, `http:${request.socket.remotePort ?? 0}`);
  try {
    sendJson(response, 200, { token: context.pairing.redeem(body.code, requester) });
  } catch (error) {
    const retry = error instanceof PortraitError ? error.data?.retryAfterSeconds : undefined;
    if (typeof retry === "number") response.setHeader("Retry-After", String(retry));
    throw error;
  }
}

async function createJob(context: DaemonContext, request: IncomingMessage, response: ServerResponse, url: URL, clientId: string): Promise<void> {
  const query = jobQueryOf(request.headers["x-job-options"], queryRecord(url.searchParams));
  const options = jobOptionsOf(query);
  const { scale, device } = context.catalog.checkOptions(options);
  const contentType = (request.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  let input: JobInput;
  let size: { width: number; height: number };
  if (contentType === "application/octet-stream") {
    const raw = rawImageParams(query);
    size = raw;
    const byteLength = imageByteLength(raw.width, raw.height, raw.channels, raw.bitDepth);
    checkImageSize(context.config, raw.width, raw.height, scale, byteLength);
    // The whole buffer is allocated up front, so the whole length is held.
    const release = context.uploads.reserve(byteLength);
    let bytes: Buffer;
    try {
      continueIfExpected(request, response);
      bytes = await readExactBody(request, byteLength, { stallMs: context.network.uploadStallMs });
    } finally {
      release();
    }
    if (raw.crc32 !== undefined && crc32Hex(bytes) !== raw.crc32) {
      throw new PortraitError("CHECKSUM_MISMATCH", `Expected CRC-32 "${raw.crc32}" for the body but received "${crc32Hex(bytes)}"`, {
        expected: raw.crc32,
      });
    }
    input = {
      image: {
        kind: "raw",
        width: raw.width,
        height: raw.height,
        channels: raw.channels as 1 | 2 | 3 | 4,
        bitDepth: raw.bitDepth,
        ...(raw.colorProfile !== undefined ? { colorProfile: raw.colorProfile } : {}),
        bytes,
      },
      options,
      format: query.format ?? "raw",
    };
  } else {
    if (query.width !== undefined || query.height !== undefined || query.channels !== undefined || query.bitDepth !== undefined) {
      throw new PortraitError("INVALID_OPTION", "Expected Content-Type application/octet-stream for raw pixel parameters but received " +
        `"${contentType || "none"}"`, { contentType });
    }
    const declared = declaredLength(request);
    if (declared !== undefined && declared > context.config.limits.maxUploadBytes) {
      throw new PortraitError("MESSAGE_TOO_LARGE", `Expected at most ${context.config.limits.maxUploadBytes} bytes for the request body but received ${declared}`, {
        limit: context.config.limits.maxUploadBytes,
      });
    }
    // A declared length is held at once; a chunked upload holds what has arrived so far.
    const reservation = context.uploads.open();
    let bytes: Buffer;
    try {
      if (declared !== undefined) reservation.grow(declared);
      continueIfExpected(request, response);
      bytes = await readBody(request, context.config.limits.maxUploadBytes, { stallMs: context.network.uploadStallMs, reservation });
    } finally {
      reservation.release();
    }
    size = await encodedImageHeader(bytes);
    checkImageSize(context.config, size.width, size.height, scale);
    input = { image: { kind: "encoded", bytes }, options, ...(query.format !== undefined ? { format: query.format } : {}) };
  }
  const estimateSeconds = context.catalog.estimate(options, size.width, size.height).seconds;
  // A named per-client token's job is hidden from connections with another named token.
  const holder = clientId.startsWith("client:") ? clientId.slice("client:".length) : undefined;
  const status = context.engine.submit(clientId, input, { keep: true, estimateSeconds, device, ...(holder !== undefined ? { holder } : {}) });
  sendJson(response, 202, { id: status.id });
}

/** `GET /v1/estimate`: what a job would cost, refused as `POST /v1/jobs` would refuse it (preset, overrides, size). */
function estimate(context: DaemonContext, url: URL): Estimate {
  const { width, height, ...options } = parseEstimateQuery(queryRecord(url.searchParams));
  const { scale } = context.catalog.checkOptions(options);
  checkImageSize(context.config, width, height, scale);
  return context.catalog.estimate(options, width, height);
}

/**
 * The job's parameters from the query string and the `X-Job-Options` header together: a
 * client may send its options in the header and the raw-pixel layout in the query. (Reading
 * only one of them dropped the header's options, `review` among them, whenever the query had
 * any parameter.) A key in both is refused rather than one silently winning.
 */
export function jobQueryOf(header: string | string[] | undefined, queryValues: Readonly<Record<string, string>>): JobQuery {
  const fromQuery = parseJobQuery(queryValues);
  if (typeof header !== "string") return fromQuery;
  const fromHeader = parseJobOptionsHeader(header);
  const twice = Object.keys(fromHeader).find((key) => key in queryValues);
  if (twice !== undefined) {
    throw new PortraitError("INVALID_OPTION", `Expected ${twice} once, in the query or in X-Job-Options, but received it in both`, {
      path: `X-Job-Options.${twice}`,
    });
  }
  return { ...fromQuery, ...fromHeader };
}

/** The job options in a query (the image and format parameters are not options). */
export function jobOptionsOf(query: JobQuery): JobOptions {
  const options: Record<string, unknown> = {};
  for (const key of ["preset", "model", "scale", "creativity", "resemblance", "denoise", "faceRestore", "faceRestoreStrength", "tile", "review", "device"] as const) {
    if (query[key] !== undefined) options[key] = query[key];
  }
  return options as JobOptions;
}

/**
 * The query string as one record, each key once: a key given twice is refused rather than
 * the last silently winning, and no key (not even "__proto__") can reach a prototype.
 */
export function queryRecord(params: URLSearchParams): Record<string, string> {
  const record = Object.create(null) as Record<string, string>;
  for (const [key, value] of params) {
    if (Object.prototype.hasOwnProperty.call(record, key)) {
      throw new PortraitError("INVALID_OPTION", `Expected ${key} once in the query but received it more than once`, { path: `query.${key}` });
    }
    record[key] = value;
  }
  return record;
}

async function deleteJob(context: DaemonContext, id: string, response: ServerResponse): Promise<void> {
  const before = context.engine.status(id);
  if (before.state === "queued" || before.state === "running") return sendJson(response, 200, context.engine.cancel(id));
  // A finished job: the client is done with it, so its result goes now rather than at expiry.
  await context.engine.release(id);
  sendJson(response, 200, before);
}

function streamEvents(context: DaemonContext, id: string, request: IncomingMessage, response: ServerResponse): void {
  const status = context.engine.status(id);
  response.writeHead(200, { "Content-Type": "application/x-ndjson", "Cache-Control": "no-store", "X-Accel-Buffering": "no" });
  response.socket?.setNoDelay(true);
  // A queued job may be silent for longer than the idle timeout; the stream ends with the job.
  response.socket?.setTimeout(0);
  const writeLine = (event: WireJobEvent): void => {
    response.write(`${JSON.stringify(event)}\n`);
  };
  const finalEvent = (final: JobStatus): WireJobEvent | undefined => {
    if (final.state === "done" && final.result) return { type: "done", jobId: id, result: final.result };
    if (final.state === "failed") return { type: "failed", jobId: id, error: final.error ?? toErrorPayload(new Error("failed")) };
    if (final.state === "cancelled") return { type: "cancelled", jobId: id };
    return undefined;
  };
  const immediate = finalEvent(status);
  if (immediate) {
    writeLine(immediate);
    response.end();
    return;
  }
  writeLine(progressEvent(status));
  const unsubscribe = context.engine.subscribe(id, (event) => {
    const final = finalEvent(event.status);
    if (final) {
      writeLine(final);
      unsubscribe();
      response.end();
    } else writeLine(progressEvent(event.status));
  });
  request.on("close", unsubscribe);
}

async function sendResult(context: DaemonContext, id: string, url: URL, response: ServerResponse): Promise<void> {
  const { format } = parseQuery(resultQuerySchema, queryRecord(url.searchParams), "query", "INVALID_OPTION");
  const result = context.engine.result(id);
  const stored = result.summary.format;
  if (format !== undefined && format !== stored) {
    const converted = await convertResult(result, format as ResultFormat);
    writeHeadForResult(response, converted.format, converted.bytes.length, converted.raw);
    response.end(converted.bytes);
    return;
  }
  writeHeadForResult(
    response,
    stored,
    result.size,
    result.raw ? { ...result.raw, crc32: result.summary.crc32 } : undefined,
  );
  for (let offset = 0; offset < result.size; offset += RESULT_WRITE_BYTES) {
    const chunk = await result.read(offset, RESULT_WRITE_BYTES);
    if (!response.write(chunk)) await drainedOrClosed(response);
    if (response.destroyed) return;
  }
  response.end();
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  tiff: "image/tiff",
  jpeg: "image/jpeg",
  webp: "image/webp",
  raw: "application/octet-stream",
};

function writeHeadForResult(
  response: ServerResponse,
  format: string,
  length: number,
  raw: { width: number; height: number; channels: number; bitDepth: number; crc32: string } | undefined,
): void {
  const headers: Record<string, string> = {
    "Content-Type": CONTENT_TYPES[format] ?? "application/octet-stream",
    "Content-Length": String(length),
    "Cache-Control": "no-store",
  };
  if (raw) {
    headers[RAW_RESULT_HEADERS.width] = String(raw.width);
    headers[RAW_RESULT_HEADERS.height] = String(raw.height);
    headers[RAW_RESULT_HEADERS.channels] = String(raw.channels);
    headers[RAW_RESULT_HEADERS.bitDepth] = String(raw.bitDepth);
    headers[RAW_RESULT_HEADERS.crc32] = raw.crc32;
  }
  response.writeHead(200, headers);
}

function sendReview(context: DaemonContext, id: string, response: ServerResponse): void {
  const report = context.engine.review(id);
  if (report === undefined) throw new PortraitError("NOT_FOUND", "This job did not ask for a review (review=1).", { id });
  sendJson(response, 200, report);
}

function sendReviewSheet(context: DaemonContext, id: string, response: ServerResponse): void {
  const sheet = context.engine.reviewSheet(id);
  if (sheet === undefined) throw new PortraitError("NOT_FOUND", "This job has no review contact sheet (review=1).", { id });
  response.writeHead(200, { "Content-Type": "image/png", "Content-Length": sheet.byteLength, "Cache-Control": "no-store" });
  response.end(sheet);
}

function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new PortraitError("MESSAGE_INVALID", "Expected a JSON object for the request body but received text that is not JSON");
  }
}

/** Writes a JSON answer. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  response.end(text);
}

/**
 * Answers with the error body. A refused upload still streaming in is drained a little so
 * the client can read the answer, then the connection is closed rather than read to its end.
 */
function sendError(context: DaemonContext, request: IncomingMessage, response: ServerResponse, error: unknown): void {
  const payload = toErrorPayload(error);
  if (payload.code === "INTERNAL") context.logger.error("request failed", { url: request.url, message: payload.message });
  else if (REFUSALS.has(payload.code)) {
    // Who knocked and why, for "cannot connect" reports; never the token itself.
    context.refusals.note(payload.code, "request refused", { method: request.method, path: request.url?.split("?")[0], origin: request.headers.origin ?? null, host: request.headers.host ?? null });
  }
  // Held now: Node detaches the socket from the request once the answer is sent.
  const socket = request.socket;
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const unread = !request.complete;
  if (unread) response.setHeader("Connection", "close");
  sendJson(response, ERROR_HTTP_STATUS[payload.code] ?? 500, { error: payload });
  if (unread && socket) {
    let drained = 0;
    request.on("data", (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > MAX_DRAIN_BYTES) socket.destroy();
    });
    request.resume();
    // The client gets a moment to read the answer; the timer dies with the connection.
    response.on("finish", () => {
      const timer = setTimeout(() => socket.destroy(), 1000).unref();
      socket.once("close", () => clearTimeout(timer));
    });
  }
}

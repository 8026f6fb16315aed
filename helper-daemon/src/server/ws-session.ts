/**
 * The WebSocket endpoint `/v1/ws`: the upgrade is checked (Host, Origin, and the token if an
 * Authorization header is sent) before a WebSocket exists; then one {@link WsSession} per
 * connection speaks the shared protocol: hello/welcome, pairing, chunked uploads with
 * acknowledgements and a CRC-32, progress, results streamed back under the client's credit
 * window (a review's crops first, for clients that asked), cancel, fetch-result after a
 * reconnect, ping/pong.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  ChunkReassembler,
  ERROR_HTTP_STATUS,
  ERROR_WS_CLOSE_CODE,
  PROTOCOL_VERSION,
  PortraitError,
  SendWindow,
  WS_PATH,
  chunkCount,
  decodeChunkFrame,
  encodeChunkFrame,
  encodeMessage,
  errorMessage,
  parseClientMessage,
  toErrorPayload,
  type ClientMessage,
  type DaemonMessage,
  type JobStatus,
  type MessageOfType,
  type ProtocolFeature,
  PROTOCOL_FEATURES,
  crc32Hex,
} from "@portrait-upscale/shared";
import type { JobResult } from "../jobs/engine";
import type { ReviewCropImage } from "../jobs/types";
import type { DaemonContext } from "./context";
import { infoOf, progressEvent } from "./context";
import { checkImageSize } from "./limits";
import { nativeCrc32Update } from "./native-crc";
import { bearerToken, checkHost, checkOrigin, checkPreAuthSize, checkToken, pairingRequester } from "./security";

export interface WsOptions {
  /** How long a new connection has to authenticate and say hello. */
  readonly helloDeadlineMs: number;
  /** Interval of WebSocket pings; a connection that missed one is dropped. */
  readonly heartbeatMs: number;
}

export const DEFAULT_WS_OPTIONS: WsOptions = { helloDeadlineMs: 10_000, heartbeatMs: 30_000 };

/** Sets up the WebSocket endpoint on `server`; returns a function that closes every connection. */
export function attachWebSocket(context: DaemonContext, server: Server, options: WsOptions = DEFAULT_WS_OPTIONS): () => Promise<void> {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: context.config.limits.maxMessageBytes,
    perMessageDeflate: false,
  });
  // A handshake the WebSocket library refuses (bad key, version, method) is answered like
  // every other refusal, with a code, rather than with the library's plain text.
  wss.on("wsClientError", (error: Error, socket: Duplex) => {
    refuseUpgrade(socket, new PortraitError("MESSAGE_INVALID", `The WebSocket handshake is invalid: ${error.message}.`, { path: "upgrade" }));
  });
  const sessions = new Set<WsSession>();
  let counter = 0;
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    let preAuthenticated = false;
    try {
      checkHost(request.headers, context.allowedHosts);
      checkOrigin(request.headers, context.config.allowedOrigins);
      const path = new URL(request.url ?? "/", "http://daemon").pathname;
      if (path !== WS_PATH) throw new PortraitError("NOT_FOUND", `No WebSocket endpoint at ${path}; use ${WS_PATH}.`, { path });
      const token = bearerToken(request.headers);
      if (token !== undefined) {
        checkToken(token, context.token);
        preAuthenticated = true;
      }
    } catch (error) {
      const payload = toErrorPayload(error);
      context.refusals.note(payload.code, "websocket refused", { origin: request.headers.origin ?? null, host: request.headers.host ?? null });
      refuseUpgrade(socket, error);
      return;
    }
    // From here the WebSocket's own heartbeat decides when a quiet connection is dead.
    request.socket.setTimeout(0);
    wss.handleUpgrade(request, socket, head, (ws) => {
      counter += 1;
      const clientId = `ws:${counter}`;
      const peer: WsPeer = {
        trust: () => context.connections.trust(request.socket),
        pairingRequester: pairingRequester(request.socket.remoteAddress, clientId),
      };
      const session = new WsSession(context, ws, clientId, preAuthenticated, options, peer);
      sessions.add(session);
      ws.once("close", () => sessions.delete(session));
    });
  });
  const heartbeat = setInterval(() => {
    for (const session of sessions) session.heartbeat();
  }, options.heartbeatMs);
  heartbeat.unref();
  return async () => {
    clearInterval(heartbeat);
    await Promise.all([...sessions].map((session) => session.close(1001, "The daemon is shutting down.")));
    wss.close();
  };
}

/** Answers a refused upgrade and closes; the connection's 'error' listener (connections.ts) absorbs a reset. */
function refuseUpgrade(socket: Duplex, error: unknown): void {
  const payload = toErrorPayload(error);
  const status = ERROR_HTTP_STATUS[payload.code] ?? 500;
  const body = JSON.stringify({ error: payload });
  socket.end(
    `HTTP/1.1 ${status} ${payload.code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const timer = setTimeout(() => socket.destroy(), 1000).unref();
  socket.once("close", () => clearTimeout(timer));
}

/** What a session knows of its connection beyond the WebSocket. */
export interface WsPeer {
  /** Marks the connection as authenticated (no longer dropped to make room). */
  readonly trust: () => void;
  /** The key its pairing attempts are throttled under. */
  readonly pairingRequester: string;
}

interface Upload {
  readonly jobId: string;
  /** Gives the upload's bytes back to the daemon-wide budget. */
  readonly release: () => void;
  readonly reassembler: ChunkReassembler;
  readonly submit: MessageOfType<ClientMessage, "submit">;
  /** Fails the upload when no chunk arrives for the stall timeout; refreshed by each chunk. */
  readonly stall: NodeJS.Timeout;
}

/** Bytes being sent to the client under its credit window: a result, or a review's crops. */
interface Download {
  readonly jobId: string;
  readonly transferId: number;
  readonly read: (offset: number, length: number) => Promise<Uint8Array>;
  readonly window: SendWindow;
  readonly chunkBytes: number;
  /** Runs once the client has acknowledged every chunk. */
  readonly onDone: () => void;
  pumping: boolean;
  again: boolean;
}

/** One client connection. */
export class WsSession {
  readonly #context: DaemonContext;
  readonly #ws: WebSocket;
  readonly #clientId: string;
  readonly #peer: WsPeer;
  #authenticated: boolean;
  /** Optional protocol parts this client asked for in hello and this daemon has. */
  #features: ReadonlySet<ProtocolFeature> = new Set();
  #greeted = false;
  /** Only a client that sent `hello.features` hears `welcome.features` (older parsers refuse the field). */
  #announceFeatures = false;
  #alive = true;
  #closed = false;
  #nextTransferId = 1;
  readonly #uploads = new Map<number, Upload>();
  readonly #downloads = new Map<number, Download>();
  /** Jobs this connection follows, with the function that stops following. */
  readonly #followed = new Map<string, () => void>();
  /** Jobs whose result this connection should release once fully sent (not kept). */
  readonly #releaseAfterSend = new Set<string>();
  readonly #helloTimer: NodeJS.Timeout;

  constructor(context: DaemonContext, ws: WebSocket, clientId: string, authenticated: boolean, options: WsOptions, peer: WsPeer) {
    this.#context = context;
    this.#ws = ws;
    this.#clientId = clientId;
    this.#peer = peer;
    this.#authenticated = authenticated;
    if (authenticated) peer.trust();
    this.#helloTimer = setTimeout(() => {
      if (!this.#greeted) this.#fatal(new PortraitError("AUTH_REQUIRED", "No hello with a valid token (or pairing) arrived in time."));
    }, options.helloDeadlineMs);
    this.#helloTimer.unref();
    ws.on("message", (data, isBinary) => {
      try {
        const bytes = rawToBuffer(data);
        checkPreAuthSize(bytes.byteLength, this.#authenticated);
        if (isBinary) this.#onChunk(bytes);
        else this.#onText(bytes.toString("utf8"));
      } catch (error) {
        this.#onError(error);
      }
    });
    ws.on("pong", () => {
      this.#alive = true;
    });
    ws.on("error", () => {
      // ws reports protocol violations (e.g. a frame over maxPayload) here and then closes.
    });
    ws.once("close", () => this.#cleanUp());
  }

  /** Called on every heartbeat tick: drops a connection that did not answer the last ping. */
  heartbeat(): void {
    if (!this.#alive) {
      this.#ws.terminate();
      return;
    }
    this.#alive = false;
    this.#ws.ping();
  }

  /** Closes the connection and waits until it is closed. */
  close(code: number, reason: string): Promise<void> {
    if (this.#ws.readyState === this.#ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once("close", () => resolve());
      this.#ws.close(code, reason);
      setTimeout(() => this.#ws.terminate(), 2000).unref();
    });
  }

  #send(message: DaemonMessage): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(encodeMessage(message));
  }

  #onText(text: string): void {
    const message = parseClientMessage(text);
    if (message.type === "ping") return this.#send({ type: "pong" });
    if (message.type === "hello") return this.#hello(message);
    if (message.type === "pair") return this.#pair(message);
    if (!this.#greeted) throw new PortraitError("AUTH_REQUIRED", "Send hello (with the token) before anything else.");
    switch (message.type) {
      case "submit":
        return this.#submit(message);
      case "ack":
        return this.#ack(message);
      case "cancel":
      case "fetch-result":
        try {
          return message.type === "cancel" ? this.#cancel(message.jobId) : this.#fetchResult(message.jobId);
        } catch (error) {
          throw withIds(error, { jobId: message.jobId });
        }
    }
  }

  #hello(message: MessageOfType<ClientMessage, "hello">): void {
    if (message.protocol !== PROTOCOL_VERSION) {
      throw new PortraitError(
        "PROTOCOL_VERSION_MISMATCH",
        `This daemon speaks protocol ${PROTOCOL_VERSION} but the client speaks ${message.protocol}; update the ${
          message.protocol < PROTOCOL_VERSION ? "plug-in" : "daemon"
        }.`,
        { daemon: PROTOCOL_VERSION, client: message.protocol },
      );
    }
    if (message.features !== undefined) {
      // Unknown names are ignored: a newer client may ask for more than this daemon has.
      this.#features = new Set(PROTOCOL_FEATURES.filter((feature) => message.features?.includes(feature)));
      this.#announceFeatures = true;
    }
    if (message.token !== undefined) checkToken(message.token, this.#context.token);
    else if (!this.#authenticated) {
      // Not fatal: a panel without a token stays connected (until the hello deadline) to pair.
      this.#send(errorMessage(new PortraitError("AUTH_REQUIRED", "A token is required: send it in hello, or pair with a code from `portrait-upscale pair`.")));
      return;
    }
    this.#authenticated = true;
    this.#peer.trust();
    this.#greet();
  }

  #greet(): void {
    this.#greeted = true;
    clearTimeout(this.#helloTimer);
    this.#send({ type: "welcome", ...infoOf(this.#context), ...(this.#announceFeatures ? { features: [...this.#features] } : {}) });
  }

  #pair(message: MessageOfType<ClientMessage, "pair">): void {
    const token = this.#context.pairing.redeem(message.code, this.#peer.pairingRequester);
    this.#authenticated = true;
    this.#peer.trust();
    this.#send({ type: "paired", token });
    if (!this.#greeted) this.#greet();
  }

  #submit(message: MessageOfType<ClientMessage, "submit">): void {
    const context = this.#context;
    const { image } = message;
    let status: JobStatus;
    let release: () => void;
    try {
      const { scale } = context.catalog.checkOptions({ preset: message.preset, ...message.overrides, review: message.review });
      checkImageSize(context.config, image.width, image.height, scale, image.byteLength);
      release = context.uploads.reserve(image.byteLength);
      try {
        status = context.engine.submit(this.#clientId, undefined, { keep: message.keep === true });
      } catch (error) {
        release();
        throw error;
      }
    } catch (error) {
      throw withIds(error, { requestId: message.requestId });
    }
    const transferId = this.#takeTransferId();
    const reassembler = new ChunkReassembler({
      crc32Update: nativeCrc32Update,
      transferId,
      byteLength: image.byteLength,
      chunkBytes: context.chunkBytes,
      crc32: image.crc32,
    });
    const stall = setTimeout(() => this.#uploadStalled(transferId), context.network.uploadStallMs).unref();
    this.#uploads.set(transferId, { jobId: status.id, release, reassembler, submit: message, stall });
    if (message.keep !== true) this.#releaseAfterSend.add(status.id);
    this.#follow(status.id);
    this.#send({
      type: "accepted",
      requestId: message.requestId,
      jobId: status.id,
      transferId,
      chunkBytes: context.chunkBytes,
      window: context.window,
    });
  }

  #onChunk(data: Buffer): void {
    if (!this.#greeted) throw new PortraitError("AUTH_REQUIRED", "Send hello (with the token) before anything else.");
    const frame = decodeChunkFrame(data);
    const upload = this.#uploads.get(frame.transferId);
    if (!upload) {
      throw new PortraitError("MESSAGE_INVALID", `Expected a transfer id of an upload in progress for chunk.transferId but received ${frame.transferId}`, {
        path: "chunk.transferId",
        transferId: frame.transferId,
      });
    }
    let received: number;
    try {
      received = upload.reassembler.push(frame);
    } catch (error) {
      // The upload cannot be resumed from a bad chunk: end its job and tell the client which.
      this.#endUpload(frame.transferId);
      this.#context.engine.fail(upload.jobId, error);
      return;
    }
    upload.stall.refresh();
    this.#send({ type: "ack", transferId: frame.transferId, received });
    if (!upload.reassembler.complete) return;
    this.#endUpload(frame.transferId);
    const { image, overrides, preset, review } = upload.submit;
    this.#context.engine.provideInput(upload.jobId, {
      image: {
        kind: "raw",
        width: image.width,
        height: image.height,
        channels: image.channels as 1 | 2 | 3 | 4,
        bitDepth: image.bitDepth,
        ...(image.colorProfile !== undefined ? { colorProfile: image.colorProfile } : {}),
        ...(image.placement !== undefined ? { placement: image.placement } : {}),
        bytes: upload.reassembler.finish(),
      },
      options: { preset, ...overrides, review },
      format: "raw",
    });
  }

  /** Forgets an upload: its stall timer stops and its bytes go back to the budget. */
  #endUpload(transferId: number): void {
    const upload = this.#uploads.get(transferId);
    if (!upload) return;
    this.#uploads.delete(transferId);
    clearTimeout(upload.stall);
    upload.release();
  }

  #uploadStalled(transferId: number): void {
    const upload = this.#uploads.get(transferId);
    if (!upload) return;
    this.#endUpload(transferId);
    const seconds = Math.round(this.#context.network.uploadStallMs / 1000);
    this.#context.engine.fail(upload.jobId, new PortraitError("UPLOAD_STALLED", `No chunk of the upload arrived for ${seconds} s.`, { stallSeconds: seconds }));
  }

  /** Forwards a job's progress and its end to this connection. */
  #follow(jobId: string): void {
    if (this.#followed.has(jobId)) return;
    const unsubscribe = this.#context.engine.subscribe(jobId, (event) => {
      if (event.type === "progress") this.#send(progressEvent(event.status));
      else if (event.status.state === "running") this.#send(progressEvent(event.status));
      else this.#onFinal(event.status);
    });
    this.#followed.set(jobId, unsubscribe);
  }

  #onFinal(status: JobStatus): void {
    const unsubscribe = this.#followed.get(status.id);
    unsubscribe?.();
    this.#followed.delete(status.id);
    for (const [transferId, upload] of this.#uploads) if (upload.jobId === status.id) this.#endUpload(transferId);
    if (status.state === "done") this.#startDownload(status.id);
    else if (status.state === "cancelled") this.#send({ type: "cancelled", jobId: status.id });
    else if (status.state === "failed") {
      const error = status.error ?? toErrorPayload(new Error("The job failed."));
      this.#send({ type: "error", jobId: status.id, code: error.code, message: error.message, ...(error.data ? { data: { ...error.data } } : {}) });
    }
  }

  #startDownload(jobId: string): void {
    const { engine } = this.#context;
    const result = engine.result(jobId);
    const raw = result.raw;
    if (!raw) {
      throw new PortraitError("RESULT_NOT_RAW", `The result is a ${result.summary.format.toUpperCase()} file; fetch it over HTTP.`, { jobId, format: result.summary.format });
    }
    const review = engine.review(jobId);
    if (review !== undefined) this.#send({ type: "review", jobId, report: review as MessageOfType<DaemonMessage, "review">["report"] });
    const crops = review !== undefined && this.#features.has("review-crops") ? engine.reviewCrops(jobId) : undefined;
    // The crops go first and the result only once they are acknowledged: one transfer at a
    // time keeps a UXP socket's buffer as small as a single transfer's window.
    if (crops !== undefined && crops.length > 0) this.#sendCrops(jobId, crops, () => this.#sendResult(jobId, result));
    else this.#sendResult(jobId, result);
  }

  /** Sends a review's crops as one transfer: the PNGs back to back, described by `review-crops`. */
  #sendCrops(jobId: string, crops: readonly ReviewCropImage[], then: () => void): void {
    const bytes = Buffer.concat(crops.map((crop) => crop.png));
    const transferId = this.#takeTransferId();
    const chunkBytes = this.#context.chunkBytes;
    this.#startTransfer({
      jobId,
      transferId,
      read: async (offset, length) => bytes.subarray(offset, offset + length),
      window: new SendWindow(chunkCount(bytes.byteLength, chunkBytes), this.#context.window),
      chunkBytes,
      onDone: then,
      pumping: false,
      again: false,
    }, {
      type: "review-crops",
      jobId,
      transferId,
      chunkBytes,
      window: this.#context.window,
      byteLength: bytes.byteLength,
      crc32: crc32Hex(nativeCrc32Update(0, bytes)),
      crops: crops.map((crop) => ({
        ...(crop.face !== undefined ? { face: crop.face } : {}),
        region: crop.region,
        width: crop.width,
        height: crop.height,
        byteLength: crop.png.byteLength,
      })),
    });
  }

  #sendResult(jobId: string, result: JobResult): void {
    const raw = result.raw;
    if (!raw) return;
    const transferId = this.#takeTransferId();
    const chunkBytes = this.#context.chunkBytes;
    const notes = result.summary.notes;
    this.#startTransfer({
      jobId,
      transferId,
      read: (offset, length) => result.read(offset, length),
      window: new SendWindow(chunkCount(result.size, chunkBytes), this.#context.window),
      chunkBytes,
      onDone: () => {
        if (this.#releaseAfterSend.delete(jobId)) void this.#context.engine.release(jobId);
      },
      pumping: false,
      again: false,
    }, {
      type: "result",
      jobId,
      transferId,
      chunkBytes,
      window: this.#context.window,
      image: {
        width: raw.width,
        height: raw.height,
        channels: raw.channels,
        bitDepth: raw.bitDepth,
        ...(raw.colorProfile !== undefined ? { colorProfile: raw.colorProfile } : {}),
        ...(raw.placement !== undefined ? { placement: raw.placement } : {}),
        byteLength: result.size,
        crc32: result.summary.crc32,
      },
      provider: result.summary.provider,
      models: [...result.summary.models],
      timings: { ...result.summary.timings },
      ...(this.#features.has("notes") ? { notes: (notes ?? []).map((note) => ({ ...note })) } : {}),
    });
  }

  /** Announces a transfer with its message, then sends its first window of chunks. */
  #startTransfer(download: Download, message: DaemonMessage): void {
    this.#downloads.set(download.transferId, download);
    this.#send(message);
    void this.#pump(download);
  }

  /** Sends chunks while the client's window allows; re-entered on each ack. */
  async #pump(download: Download): Promise<void> {
    if (download.pumping) {
      download.again = true;
      return;
    }
    download.pumping = true;
    try {
      do {
        download.again = false;
        let index: number | undefined;
        while ((index = download.window.take()) !== undefined) {
          const offset = index * download.chunkBytes;
          const payload = await download.read(offset, download.chunkBytes);
          if (this.#closed || !this.#downloads.has(download.transferId)) return;
          this.#ws.send(encodeChunkFrame({ transferId: download.transferId, index, count: download.window.count, payload }));
        }
      } while (download.again);
    } catch (error) {
      this.#downloads.delete(download.transferId);
      this.#send(errorMessage(error, { jobId: download.jobId }));
    } finally {
      download.pumping = false;
    }
  }

  #ack(message: MessageOfType<ClientMessage, "ack">): void {
    const download = this.#downloads.get(message.transferId);
    if (!download) {
      throw new PortraitError("MESSAGE_INVALID", `Expected the transfer id of a result being sent for ack.transferId but received ${message.transferId}`, {
        path: "ack.transferId",
      });
    }
    download.window.acknowledge(message.received);
    if (download.window.done) {
      this.#downloads.delete(download.transferId);
      try {
        download.onDone();
      } catch (error) {
        // The result may have been released meanwhile (DELETE over HTTP): tell the client why nothing follows.
        this.#send(errorMessage(error, { jobId: download.jobId }));
      }
      return;
    }
    void this.#pump(download);
  }

  #cancel(jobId: string): void {
    const followed = this.#followed.has(jobId);
    const status = this.#context.engine.cancel(jobId);
    let downloading = false;
    for (const [transferId, download] of this.#downloads) {
      if (download.jobId !== jobId) continue;
      this.#downloads.delete(transferId);
      downloading = true;
    }
    if (downloading) {
      // The job was done and its result on its way: the client no longer wants it.
      if (this.#releaseAfterSend.delete(jobId)) void this.#context.engine.release(jobId);
      this.#send({ type: "cancelled", jobId });
      return;
    }
    // The follower (if any) already said "cancelled"; a job this connection does not follow hears it here.
    if (!followed && status.state === "cancelled") this.#send({ type: "cancelled", jobId });
  }

  #fetchResult(jobId: string): void {
    const status = this.#context.engine.status(jobId);
    if (status.state === "done") {
      if (!this.#context.engine.owner(jobId).keep) this.#releaseAfterSend.add(jobId);
      this.#startDownload(jobId);
    } else if (status.state === "queued" || status.state === "running") {
      // A reconnecting panel picks up a kept job where it is: progress now, the result when done.
      this.#follow(jobId);
      this.#send(progressEvent(status));
    } else this.#onFinal(status);
  }

  #takeTransferId(): number {
    const id = this.#nextTransferId;
    this.#nextTransferId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  #onError(error: unknown): void {
    const payload = toErrorPayload(error);
    const closeCode = ERROR_WS_CLOSE_CODE[payload.code];
    if (payload.code === "INTERNAL") this.#context.logger.error("websocket message failed", { message: payload.message });
    if (closeCode !== undefined && payload.code !== "INTERNAL") return this.#fatal(error);
    this.#send(errorMessage(error, idsOf(error)));
  }

  /** Sends the error, then closes with its close code. */
  #fatal(error: unknown): void {
    const payload = toErrorPayload(error);
    this.#send(errorMessage(error));
    this.#ws.close(ERROR_WS_CLOSE_CODE[payload.code] ?? 1008, payload.code);
    setTimeout(() => this.#ws.terminate(), 2000).unref();
  }

  #cleanUp(): void {
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    for (const unsubscribe of this.#followed.values()) unsubscribe();
    this.#followed.clear();
    for (const transferId of [...this.#uploads.keys()]) this.#endUpload(transferId);
    // An unkept result whose download broke off stays until it expires: the client may
    // reconnect and ask for it with fetch-result.
    this.#downloads.clear();
    this.#context.engine.clientGone(this.#clientId);
  }
}

/** Carries a request id on an error so the client can match it to its submit. */
function withIds(error: unknown, ids: { requestId?: string; jobId?: string }): unknown {
  if (error instanceof PortraitError) return new PortraitError(error.code, error.message, { ...(error.data ?? {}), ...ids });
  return error;
}

function idsOf(error: unknown): { requestId?: string; jobId?: string } {
  const data = error instanceof PortraitError ? error.data : undefined;
  const ids: { requestId?: string; jobId?: string } = {};
  if (typeof data?.requestId === "string" && /^[A-Za-z0-9_.:-]{1,64}$/.test(data.requestId)) ids.requestId = data.requestId;
  if (typeof data?.jobId === "string" && /^j_[A-Za-z0-9_-]{1,64}$/.test(data.jobId)) ids.jobId = data.jobId;
  return ids;
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}


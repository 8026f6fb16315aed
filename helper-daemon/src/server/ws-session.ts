/**
 * One WebSocket connection speaking the shared protocol: hello/welcome and pairing (the
 * checks live in security.ts), submits whose chunks ws-uploads.ts receives, progress of the
 * jobs it follows, results streamed back by ws-downloads.ts, cancel, fetch-result after a
 * reconnect, ping/pong, and the close codes of fatal errors. The endpoint that creates
 * sessions is ws-endpoint.ts.
 */
import type { RawData, WebSocket } from "ws";
import {
  ERROR_WS_CLOSE_CODE,
  PROTOCOL_VERSION,
  PortraitError,
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
} from "@portrait-upscale/shared";
import type { DaemonContext } from "./context";
import { infoOf, progressEvent } from "./context";
import { checkImageSize } from "./limits";
import { checkPreAuthSize, checkToken } from "./security";
import { Downloads } from "./ws-downloads";
import { Uploads } from "./ws-uploads";
import type { WsOptions, WsPeer } from "./ws-endpoint";

/** One client connection. */
export class WsSession {
  readonly #context: DaemonContext;
  readonly #ws: WebSocket;
  readonly #clientId: string;
  readonly #peer: WsPeer;
  #authenticated: boolean;
  /** The named per-client token this connection authenticated with: it sees only that client's jobs. */
  #holder: string | undefined;
  /** Optional protocol parts this client asked for in hello and this daemon has. */
  #features: ReadonlySet<ProtocolFeature> = new Set();
  #greeted = false;
  /** Only a client that sent `hello.features` hears `welcome.features` (older parsers refuse the field). */
  #announceFeatures = false;
  #alive = true;
  #closed = false;
  #nextTransferId = 1;
  readonly #uploads: Uploads;
  readonly #downloads: Downloads;
  /** Jobs this connection follows, with the function that stops following. */
  readonly #followed = new Map<string, () => void>();
  /** Jobs whose result this connection should release once fully sent (not kept). */
  readonly #releaseAfterSend = new Set<string>();
  readonly #helloTimer: NodeJS.Timeout;

  constructor(context: DaemonContext, ws: WebSocket, clientId: string, authenticated: boolean, options: WsOptions, peer: WsPeer, holder?: string) {
    this.#context = context;
    this.#holder = holder;
    this.#ws = ws;
    this.#clientId = clientId;
    this.#peer = peer;
    this.#authenticated = authenticated;
    if (authenticated) peer.trust();
    const session = this;
    this.#uploads = new Uploads(context, (message) => this.#send(message));
    this.#downloads = new Downloads(context, {
      send: (message) => this.#send(message),
      sendFrame: (frame) => {
        if (this.#closed || ws.readyState !== ws.OPEN) return false;
        ws.send(frame);
        return true;
      },
      takeTransferId: () => this.#takeTransferId(),
      get features() {
        return session.#features;
      },
    });
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
      case "estimate":
        return this.#estimate(message);
      case "ack":
        return this.#ack(message);
      case "cancel":
      case "fetch-result":
        try {
          this.#checkVisible(message.jobId);
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
    if (message.token !== undefined) this.#holder = checkToken(message.token, this.#context.token, this.#context.clientTokens);
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
    this.#send({
      type: "welcome",
      ...infoOf(this.#context),
      ...(this.#announceFeatures ? { features: [...this.#features] } : {}),
      ...(this.#features.has("devices") ? { devices: this.#context.catalog.devices() } : {}),
    });
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
      const options = { preset: message.preset, ...message.overrides, review: message.review, ...(message.device !== undefined ? { device: message.device } : {}) };
      const { scale, device } = context.catalog.checkOptions(options);
      checkImageSize(context.config, image.width, image.height, scale, image.byteLength);
      const estimateSeconds = context.catalog.estimate(options, image.width, image.height).seconds;
      release = context.uploads.reserve(image.byteLength);
      try {
        status = context.engine.submit(this.#clientId, undefined, {
          keep: message.keep === true,
          estimateSeconds,
          device,
          ...(this.#holder !== undefined ? { holder: this.#holder } : {}),
        });
      } catch (error) {
        release();
        throw error;
      }
    } catch (error) {
      throw withIds(error, { requestId: message.requestId });
    }
    const transferId = this.#takeTransferId();
    this.#uploads.start(transferId, status.id, release, message);
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

  /** Answers what a job would cost, refusing what `submit` would refuse (preset, overrides, size). */
  #estimate(message: MessageOfType<ClientMessage, "estimate">): void {
    try {
      const options = { preset: message.preset, ...message.overrides, ...(message.device !== undefined ? { device: message.device } : {}) };
      const { scale } = this.#context.catalog.checkOptions(options);
      checkImageSize(this.#context.config, message.width, message.height, scale);
      this.#send({ type: "estimated", requestId: message.requestId, ...this.#context.catalog.estimate(options, message.width, message.height) });
    } catch (error) {
      throw withIds(error, { requestId: message.requestId });
    }
  }

  #onChunk(data: Buffer): void {
    if (!this.#greeted) throw new PortraitError("AUTH_REQUIRED", "Send hello (with the token) before anything else.");
    this.#uploads.receive(data);
  }

  /** Forwards a job's progress and its end to this connection. */
  #follow(jobId: string): void {
    if (this.#followed.has(jobId)) return;
    const unsubscribe = this.#context.engine.subscribe(jobId, (event) => {
      if (event.type === "progress" || event.status.state === "running") this.#send(this.#progress(event.status));
      else this.#onFinal(event.status);
    });
    this.#followed.set(jobId, unsubscribe);
  }

  #progress(status: JobStatus): DaemonMessage {
    return progressEvent(status, this.#features.has("estimate"));
  }

  #onFinal(status: JobStatus): void {
    const unsubscribe = this.#followed.get(status.id);
    unsubscribe?.();
    this.#followed.delete(status.id);
    this.#uploads.endJob(status.id);
    if (status.state === "done") this.#startDownload(status.id);
    else if (status.state === "cancelled") this.#send({ type: "cancelled", jobId: status.id });
    else if (status.state === "failed") {
      const error = status.error ?? toErrorPayload(new Error("The job failed."));
      this.#send({ type: "error", jobId: status.id, code: error.code, message: error.message, ...(error.data ? { data: { ...error.data } } : {}) });
    }
  }

  #startDownload(jobId: string): void {
    this.#downloads.start(jobId, () => {
      if (this.#releaseAfterSend.delete(jobId)) void this.#context.engine.release(jobId);
    });
  }

  #ack(message: MessageOfType<ClientMessage, "ack">): void {
    this.#downloads.acknowledge(message.transferId, message.received);
  }

  /** A connection with a named per-client token sees only that client's jobs; others are unknown to it. */
  #checkVisible(jobId: string): void {
    if (this.#holder === undefined || !this.#context.engine.has(jobId)) return;
    if (this.#context.engine.owner(jobId).holder !== this.#holder) throw new PortraitError("JOB_UNKNOWN", undefined, { id: jobId });
  }

  #cancel(jobId: string): void {
    const followed = this.#followed.has(jobId);
    const status = this.#context.engine.cancel(jobId);
    if (this.#downloads.stopJob(jobId)) {
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
      this.#send(this.#progress(status));
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
    this.#uploads.clear();
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


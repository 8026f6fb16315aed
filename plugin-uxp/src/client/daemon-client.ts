/**
 * One connection to the daemon's WebSocket: hello or pairing, then jobs, each message routed
 * to the job it concerns. A job's image goes up in chunk frames paced by the daemon's credit
 * window and by the socket's own buffer (uploads.ts); the result comes back in chunks,
 * acknowledged as they arrive and checked against its CRC-32 (downloads.ts). The parser and
 * framer live in shared/; this module only connects them to a socket.
 */
import {
  PROTOCOL_VERSION,
  decodeChunkFrame,
  encodeMessage,
  parseDaemonMessage,
  type ChunkFrame,
  type ClientMessage,
  type DaemonMessage,
  type Estimate,
  type MessageOfType,
  type Overrides,
  type ProtocolFeature,
  type Welcome,
} from "@portrait-upscale/shared";
import { PanelError, toPanelError } from "../panel-errors";
import { webSocketUrl, type DaemonAddress } from "./address";
import { cropsDownload, dueForAck, jobOutcome, resultDownload, takeCropChunk } from "./downloads";
import { PendingEstimates } from "./estimates";
import { imageHeaderFor, type Job, type JobCallbacks, type JobHandle, type JobOutcome, type JobRequest } from "./job";
import { SOCKET_OPEN, openSocket, type SocketFactory, type SocketLike } from "./socket";
import { jobUpload } from "./uploads";

export const CLIENT_NAME = "portrait-upscale-photoshop";
export const CLIENT_VERSION = "0.1.0";
/**
 * Optional protocol parts this panel shows: the result's notes, the review's crops as
 * thumbnails, and progress with the job's estimate and only counted tiles.
 */
export const CLIENT_FEATURES: readonly ProtocolFeature[] = ["notes", "review-crops", "estimate", "devices"];
/** How long to wait for the socket to open and for the daemon's answer to hello. */
const HANDSHAKE_TIMEOUT_MS = 8000;

// The client's public face: the address and job types live beside it.
export { httpUrl, webSocketUrl, type DaemonAddress } from "./address";
export type { JobCallbacks, JobHandle, JobOutcome, JobRequest, ReviewCropImage } from "./job";

type Waiter = { resolve: (message: DaemonMessage) => void; reject: (error: PanelError) => void; types: readonly string[] };

/** One open connection. Create with {@link DaemonConnection.open}. */
export class DaemonConnection {
  readonly #socket: SocketLike;
  #waiter: Waiter | undefined;
  readonly #jobs = new Map<string, Job>();
  readonly #estimates = new PendingEstimates();
  #requestCounter = 0;
  #closed: { code: number; reason: string } | undefined;
  readonly #closeListeners = new Set<(event: { code: number; reason: string }) => void>();
  #welcome: Welcome | undefined;

  private constructor(socket: SocketLike) {
    this.#socket = socket;
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onclose = (event) => this.#onClose(event.code, event.reason);
    socket.onerror = () => undefined;
  }

  /** Opens the socket; rejects with DAEMON_UNREACHABLE when it cannot. */
  static open(factory: SocketFactory, address: DaemonAddress): Promise<DaemonConnection> {
    return openSocket(factory, webSocketUrl(address), { ...address }, HANDSHAKE_TIMEOUT_MS, (socket) => new DaemonConnection(socket));
  }

  /** The daemon's welcome, once received. */
  get welcome(): Welcome | undefined {
    return this.#welcome;
  }

  get isOpen(): boolean {
    return this.#closed === undefined && this.#socket.readyState === SOCKET_OPEN;
  }

  /**
   * Says hello, asking for {@link CLIENT_FEATURES}; resolves with the welcome or rejects with
   * AUTH_REQUIRED, AUTH_INVALID, PROTOCOL_VERSION_MISMATCH… A daemon from before features refuses
   * the field (MESSAGE_INVALID at `hello.features`, connection still open): the panel then says
   * hello again without it and does without notes and thumbnails.
   */
  async hello(token: string | undefined): Promise<Welcome> {
    let welcome: Welcome;
    try {
      welcome = await this.#sayHello(token, CLIENT_FEATURES);
    } catch (error) {
      if (!(error instanceof PanelError && error.code === "MESSAGE_INVALID" && error.data?.path === "hello.features")) throw error;
      welcome = await this.#sayHello(token, undefined);
    }
    this.#welcome = welcome;
    return welcome;
  }

  async #sayHello(token: string | undefined, features: readonly ProtocolFeature[] | undefined): Promise<Welcome> {
    const answer = this.#expect(["welcome"]);
    this.#send({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      client: { name: CLIENT_NAME, version: CLIENT_VERSION },
      ...(token ? { token } : {}),
      ...(features ? { features: [...features] } : {}),
    });
    return (await answer) as Welcome;
  }

  /** Exchanges a pairing code for the token; the daemon then welcomes the connection. */
  async pair(code: string): Promise<{ token: string; welcome: Welcome }> {
    const paired = this.#expect(["paired"]);
    this.#send({ type: "pair", code });
    this.#welcome = undefined;
    const { token } = (await paired) as MessageOfType<DaemonMessage, "paired">;
    // The welcome may already have arrived in the same read as `paired`.
    const welcome = this.#welcome ?? ((await this.#expect(["welcome"])) as Welcome);
    this.#welcome = welcome;
    return { token, welcome };
  }

  /** Calls `listener` once when the connection closes (for any reason). */
  onClose(listener: (event: { code: number; reason: string }) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Closes the connection; jobs still running fail with CONNECTION_LOST. */
  close(): void {
    try {
      this.#socket.close(1000, "panel closed");
    } catch {
      // Closing twice is harmless.
    }
    this.#onClose(1000, "panel closed");
  }

  /**
   * Asks what a job with these settings would cost on an image of `width`×`height`, without
   * its pixels; rejects with the daemon's code (PRESET_LOCKED, INPUT_TOO_LARGE…).
   */
  estimate(question: { readonly preset: string; readonly overrides: Overrides; readonly device?: number; readonly width: number; readonly height: number }): Promise<Estimate> {
    if (this.#closed) return Promise.reject(new PanelError("CONNECTION_LOST", undefined, { ...this.#closed }));
    const requestId = `e${Date.now().toString(36)}-${++this.#requestCounter}`;
    const answer = this.#estimates.wait(requestId);
    this.#send({ type: "estimate", requestId, ...question });
    return answer;
  }

  /** Starts a job: submit, upload, progress, result download. */
  runJob(request: JobRequest, callbacks: JobCallbacks = {}): JobHandle {
    const requestId = `r${Date.now().toString(36)}-${++this.#requestCounter}`;
    const header = imageHeaderFor(request);
    // `request` stays out of every closure, so clearing `job.request` really frees the pixels.
    let resolve!: (outcome: JobOutcome) => void;
    let reject!: (error: PanelError) => void;
    const outcome = new Promise<JobOutcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { requestId, request, header, callbacks, resolve, reject, cancelRequested: false, settled: false };
    this.#jobs.set(requestId, job);
    if (this.#closed) this.#fail(job, new PanelError("CONNECTION_LOST"));
    else
      this.#send({
        type: "submit",
        requestId,
        preset: request.preset,
        overrides: request.overrides,
        review: request.review,
        ...(request.device !== undefined ? { device: request.device } : {}),
        image: header,
      });
    return { outcome, cancel: () => this.#cancel(job) };
  }

  #cancel(job: Job): void {
    if (job.settled || job.cancelRequested) return;
    job.cancelRequested = true;
    job.upload?.stop();
    // Before `accepted` there is no job id yet: the cancel goes out as soon as there is one.
    if (job.jobId !== undefined) this.#send({ type: "cancel", jobId: job.jobId });
  }

  #send(message: ClientMessage): void {
    if (this.isOpen) this.#socket.send(encodeMessage(message));
  }

  #expect(types: readonly string[]): Promise<DaemonMessage> {
    if (this.#closed) return Promise.reject(new PanelError("CONNECTION_LOST", undefined, { ...this.#closed }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new PanelError("DAEMON_UNREACHABLE", "The daemon did not answer in time."));
      }, HANDSHAKE_TIMEOUT_MS);
      this.#waiter = {
        types,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  #onMessage(data: unknown): void {
    if (typeof data !== "string") {
      this.#onChunk(data);
      return;
    }
    let message: DaemonMessage;
    try {
      message = parseDaemonMessage(data);
    } catch {
      // A message this panel cannot read (a newer daemon): the job it belongs to times out or errors on its own.
      return;
    }
    if (message.type === "welcome") this.#welcome = message;
    const waiter = this.#waiter;
    if (waiter && waiter.types.includes(message.type)) {
      this.#waiter = undefined;
      waiter.resolve(message);
      return;
    }
    switch (message.type) {
      case "error":
        return this.#onError(message);
      case "accepted":
        return this.#onAccepted(message);
      case "estimated":
        this.#estimates.answer(message);
        return;
      case "ack":
        return this.#onAck(message);
      case "progress": {
        const job = this.#jobById(message.jobId);
        job?.callbacks.onProgress?.(message);
        return;
      }
      case "review": {
        const job = this.#jobById(message.jobId);
        if (job) job.review = message.report;
        return;
      }
      case "review-crops":
        return this.#onReviewCrops(message);
      case "result":
        return this.#onResult(message);
      case "cancelled": {
        const job = this.#jobById(message.jobId);
        if (job) this.#fail(job, new PanelError("CANCELLED", undefined, { jobId: message.jobId }));
        return;
      }
      default:
        return;
    }
  }

  #onError(message: MessageOfType<DaemonMessage, "error">): void {
    const error = new PanelError(message.code, message.message, { ...(message.data ?? {}) });
    if (this.#estimates.fail(message.requestId, error)) return;
    const job =
      (message.requestId !== undefined ? this.#jobs.get(message.requestId) : undefined) ??
      (message.jobId !== undefined ? this.#jobById(message.jobId) : undefined);
    if (job) {
      this.#fail(job, error);
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.reject(error);
    }
  }

  #onAccepted(message: MessageOfType<DaemonMessage, "accepted">): void {
    const job = this.#jobs.get(message.requestId);
    if (!job || job.settled) return;
    job.jobId = message.jobId;
    job.callbacks.onAccepted?.(message.jobId);
    if (job.cancelRequested) {
      this.#send({ type: "cancel", jobId: message.jobId });
      return;
    }
    job.upload = jobUpload(job, message, this.#socket, () => this.isOpen);
    void this.#pumpUpload(job);
  }

  /** Sends upload chunks while the daemon's credit window allows; called again on each ack. */
  async #pumpUpload(job: Job): Promise<void> {
    const upload = job.upload;
    if (!upload || job.settled || job.cancelRequested) return;
    try {
      await upload.pump();
    } catch (error) {
      this.#fail(job, toPanelError(error));
      return;
    }
    // Every chunk is on its way: let go of the pixels at once (large images are hundreds of MB).
    if (upload.allSent) job.request = undefined;
  }

  #onAck(message: MessageOfType<DaemonMessage, "ack">): void {
    for (const job of this.#jobs.values()) {
      const upload = job.upload;
      if (upload?.transferId !== message.transferId) continue;
      try {
        if (upload.acknowledge(message.received)) return;
      } catch (error) {
        this.#fail(job, toPanelError(error));
        return;
      }
      void this.#pumpUpload(job);
      return;
    }
  }

  #onResult(message: MessageOfType<DaemonMessage, "result">): void {
    const job = this.#jobById(message.jobId);
    if (!job || job.settled) return;
    try {
      job.download = resultDownload(message);
    } catch (error) {
      this.#fail(job, toPanelError(error));
    }
  }

  #onReviewCrops(message: MessageOfType<DaemonMessage, "review-crops">): void {
    const job = this.#jobById(message.jobId);
    if (!job || job.settled) return;
    job.cropsDownload = cropsDownload(message);
  }

  readonly #acknowledge = (transferId: number, received: number): void => this.#send({ type: "ack", transferId, received });

  /** Takes a chunk of a review's crops; true when `frame` belonged to one. */
  #onCropChunk(frame: ChunkFrame): boolean {
    const job = [...this.#jobs.values()].find((candidate) => candidate.cropsDownload?.message.transferId === frame.transferId);
    const crops = job?.cropsDownload;
    if (!job || !crops) return false;
    takeCropChunk(job, crops, frame, this.#acknowledge);
    return true;
  }

  #onChunk(data: unknown): void {
    let frame;
    try {
      frame = decodeChunkFrame(data instanceof ArrayBuffer ? data : (data as ArrayBufferView));
    } catch {
      return;
    }
    if (this.#onCropChunk(frame)) return;
    const job = [...this.#jobs.values()].find((candidate) => candidate.download?.reassembler.transferId === frame.transferId);
    const download = job?.download;
    if (!job || !download) return;
    let received: number;
    try {
      received = download.reassembler.push(frame);
    } catch (error) {
      // A damaged result cannot be resumed: stop the daemon sending the rest.
      if (job.jobId !== undefined) this.#send({ type: "cancel", jobId: job.jobId });
      this.#fail(job, toPanelError(error));
      return;
    }
    const total = download.result.image.byteLength;
    job.callbacks.onDownload?.(Math.min(total, received * download.result.chunkBytes), total);
    const complete = download.reassembler.complete;
    if (dueForAck(received, download.acked, download.window, complete)) {
      download.acked = received;
      this.#acknowledge(frame.transferId, received);
    }
    if (!complete) return;
    job.settled = true;
    this.#jobs.delete(job.requestId);
    job.resolve(jobOutcome(job, download));
  }

  #jobById(jobId: string): Job | undefined {
    for (const job of this.#jobs.values()) if (job.jobId === jobId) return job;
    return undefined;
  }

  #fail(job: Job, error: PanelError): void {
    if (job.settled) return;
    job.settled = true;
    job.request = undefined;
    job.upload?.stop();
    this.#jobs.delete(job.requestId);
    job.reject(error);
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = { code, reason };
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(new PanelError("CONNECTION_LOST", undefined, { code, reason }));
    this.#estimates.failAll(new PanelError("CONNECTION_LOST", undefined, { code, reason }));
    for (const job of [...this.#jobs.values()]) this.#fail(job, new PanelError("CONNECTION_LOST", undefined, { code, reason, jobId: job.jobId ?? null }));
    for (const listener of this.#closeListeners) listener({ code, reason });
  }
}

/**
 * A protocol-speaking WebSocket test client built on `ws`: it queues every message so tests
 * can await the next one of a type, and implements the panel's side of uploads and
 * downloads (chunks paced by the credit window, acks, CRC check).
 */
import WebSocket from "ws";
import {
  ChunkReassembler,
  uploadSender,
  PROTOCOL_VERSION,
  decodeChunkFrame,
  parseDaemonMessage,
  type ChunkFrame,
  type DaemonMessage,
  type MessageOfType,
} from "@portrait-upscale/shared";
import { crcOf, type TestDaemon } from "./helpers";

type Incoming = { kind: "text"; message: DaemonMessage } | { kind: "binary"; frame: ChunkFrame };

export class TestWsClient {
  readonly socket: WebSocket;
  readonly #queue: Incoming[] = [];
  #waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.binaryType = "nodebuffer";
    socket.on("message", (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      this.#queue.push(isBinary ? { kind: "binary", frame: decodeChunkFrame(buffer) } : { kind: "text", message: parseDaemonMessage(buffer.toString("utf8")) });
      this.#wake();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
    socket.on("error", () => undefined);
  }

  /** Opens a connection; `headers` go on the upgrade request. */
  static open(url: string, headers: Record<string, string> = {}): Promise<TestWsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers, perMessageDeflate: false });
      socket.once("open", () => resolve(new TestWsClient(socket)));
      socket.once("unexpected-response", (_request, response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode, body: Buffer.concat(chunks).toString() })));
      });
      socket.once("error", reject);
    });
  }

  /** Connects and says hello with the daemon's token (and `features`, when given); resolves after `welcome`. */
  static async connect(daemon: TestDaemon, features?: readonly string[]): Promise<TestWsClient> {
    const client = await TestWsClient.open(daemon.wsUrl);
    client.send({ type: "hello", protocol: PROTOCOL_VERSION, client: { name: "test", version: "1" }, token: daemon.token, ...(features ? { features } : {}) });
    client.welcome = await client.next("welcome");
    return client;
  }

  /** The welcome `connect` received. */
  welcome: MessageOfType<DaemonMessage, "welcome"> | undefined;

  /**
   * Receives a `review-crops` transfer; `ack` false leaves its last chunk unacknowledged so a
   * test can see that the result waits for it. Resolves to the message and each crop's bytes.
   */
  async receiveCrops(jobId: string, options: { ackLast?: boolean } = {}): Promise<{ header: MessageOfType<DaemonMessage, "review-crops">; crops: Uint8Array[] }> {
    const header = await this.next("review-crops");
    if (header.jobId !== jobId) throw new Error(`crops for ${header.jobId}, expected ${jobId}`);
    const reassembler = new ChunkReassembler({ transferId: header.transferId, byteLength: header.byteLength, chunkBytes: header.chunkBytes, crc32: header.crc32 });
    while (!reassembler.complete) {
      const chunk = await this.take((entry) => entry.kind === "binary" && entry.frame.transferId === header.transferId);
      reassembler.push((chunk as { frame: ChunkFrame }).frame);
      if (!reassembler.complete || options.ackLast !== false) this.send({ type: "ack", transferId: header.transferId, received: reassembler.received });
    }
    const bytes = reassembler.finish();
    const crops: Uint8Array[] = [];
    let offset = 0;
    for (const crop of header.crops) {
      crops.push(bytes.subarray(offset, offset + crop.byteLength));
      offset += crop.byteLength;
    }
    return { header, crops };
  }

  /** True when a text message of `type` is queued (not yet taken). */
  queued(type: DaemonMessage["type"]): boolean {
    return this.#queue.some((entry) => entry.kind === "text" && entry.message.type === type);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  sendBinary(bytes: Uint8Array): void {
    this.socket.send(bytes);
  }

  /** The next incoming item matching `accept`, waiting for it; fails on close or timeout. */
  async take(accept: (item: Incoming) => boolean, timeoutMs = 15_000): Promise<Incoming> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex(accept);
      if (index >= 0) return this.#queue.splice(index, 1)[0];
      if (this.closed) throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}) while waiting`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error("timed out waiting for a message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next text message of `type` (other messages stay queued). */
  async next<T extends DaemonMessage["type"]>(type: T, timeoutMs?: number): Promise<MessageOfType<DaemonMessage, T>> {
    const item = await this.take((entry) => entry.kind === "text" && entry.message.type === type, timeoutMs);
    return (item as unknown as { message: MessageOfType<DaemonMessage, T> }).message;
  }

  /** Waits until the daemon closes the connection; resolves to the close code. */
  async waitClosed(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for close");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed.code;
  }

  /** Submits raw pixels and uploads them under the credit window; resolves to the job id. */
  async submit(
    pixels: Uint8Array,
    image: {
      width: number;
      height: number;
      channels: number;
      bitDepth: 8 | 16;
      colorProfile?: string;
      placement?: { left: number; top: number; documentWidth: number; documentHeight: number };
    },
    options: { requestId?: string; scale?: number; model?: string; keep?: boolean; review?: boolean; stopAfterChunks?: number; preset?: string; device?: number } = {},
  ): Promise<string> {
    const requestId = options.requestId ?? `r${Math.random().toString(36).slice(2, 10)}`;
    this.send({
      type: "submit",
      requestId,
      preset: options.preset ?? "portrait-natural",
      overrides: {
        ...(options.scale !== undefined ? { scale: options.scale } : {}),
        ...(options.model !== undefined ? { model: options.model } : {}),
      },
      review: options.review ?? false,
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
      ...(options.device !== undefined ? { device: options.device } : {}),
      image: { ...image, byteLength: pixels.length, crc32: crcOf(pixels) },
    });
    const accepted = await this.take(
      (item) => item.kind === "text" && ((item.message.type === "accepted" && item.message.requestId === requestId) || (item.message.type === "error" && item.message.requestId === requestId)),
    );
    const message = (accepted as { message: DaemonMessage }).message;
    if (message.type === "error") throw Object.assign(new Error(message.message), { code: message.code });
    if (message.type !== "accepted") throw new Error("unexpected");
    let sent = 0;
    let stopped = false;
    const sender = uploadSender(message, pixels, (frame) => {
      this.sendBinary(frame);
      sent += 1;
      stopped = options.stopAfterChunks !== undefined && sent >= options.stopAfterChunks;
      return !stopped;
    });
    await sender.pump();
    while (!stopped && !sender.done) {
      const ack = await this.next("ack");
      if (!sender.acknowledge(ack.received)) await sender.pump();
    }
    return message.jobId;
  }

  /** Waits for the job's result and downloads it, acking each chunk; `stopAfterChunks` simulates a reader that goes away. */
  async receiveResult(jobId: string, options: { stopAfterChunks?: number } = {}): Promise<{ header: MessageOfType<DaemonMessage, "result">; bytes: Uint8Array; progress: number }> {
    let progress = 0;
    for (;;) {
      const item = await this.take(
        (entry) => entry.kind === "text" && "jobId" in entry.message && entry.message.jobId === jobId && ["progress", "result", "error", "cancelled"].includes(entry.message.type),
      );
      const message = (item as { message: DaemonMessage }).message;
      if (message.type === "progress") {
        progress += 1;
        continue;
      }
      if (message.type === "error") throw Object.assign(new Error(message.message), { code: message.code });
      if (message.type === "cancelled") throw Object.assign(new Error("cancelled"), { code: "CANCELLED" });
      if (message.type !== "result") continue;
      const reassembler = new ChunkReassembler({
        transferId: message.transferId,
        byteLength: message.image.byteLength,
        chunkBytes: message.chunkBytes,
        crc32: message.image.crc32,
      });
      let received = 0;
      while (!reassembler.complete) {
        const chunk = await this.take((entry) => entry.kind === "binary" && entry.frame.transferId === message.transferId);
        reassembler.push((chunk as { frame: ChunkFrame }).frame);
        received += 1;
        if (options.stopAfterChunks !== undefined && received >= options.stopAfterChunks) {
          return { header: message, bytes: new Uint8Array(0), progress };
        }
        this.send({ type: "ack", transferId: message.transferId, received: reassembler.received });
      }
      return { header: message, bytes: reassembler.finish(), progress };
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }

  terminate(): void {
    this.socket.terminate();
  }
}

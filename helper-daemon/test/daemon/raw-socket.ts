/**
 * Test support: speaking HTTP as bytes on a plain TCP socket, so tests can send what no
 * well-behaved client would (bodies longer than declared, slow senders, resets).
 */
import { connect, type Socket } from "node:net";

/** A raw connection to 127.0.0.1:`port` that collects everything the daemon sends. */
export class RawConnection {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
    });
  }

  /** Connects; resolves once the connection is open. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(bytes: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The received bytes as text. */
  get text(): string {
    return this.received.toString("latin1");
  }

  /** The status code of the first answer, once its status line has arrived. */
  get status(): number | undefined {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(this.text);
    return match ? Number(match[1]) : undefined;
  }

  /** The `error.code` in the first answer's JSON body, if any. */
  get errorCode(): string | undefined {
    return /"code":"([A-Z_]+)"/.exec(this.text)?.[1];
  }

  /** Sends a TCP reset (RST) instead of a clean close. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** One HTTP/1.1 chunk of a chunked body. */
export function httpChunk(bytes: string | Uint8Array): Buffer {
  const body = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n")]);
}

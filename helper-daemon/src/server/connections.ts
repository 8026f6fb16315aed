/**
 * Every TCP connection the daemon accepts, watched from its first byte: an `'error'` listener
 * on each (a reset must never become an uncaught exception), and caps on connections per
 * remote address and in total. When a cap is reached the oldest connection that has not
 * authenticated is dropped, never the newcomer, so a flood of idle or slow sockets cannot
 * keep health (or the real user) out.
 */
import type { Server, ServerOptions } from "node:http";
import type { Socket } from "node:net";
import { ERROR_HTTP_STATUS, PortraitError, type ErrorCode } from "@portrait-upscale/shared";

/** Timeouts and caps of the network front end (defaults in {@link DEFAULT_NETWORK_LIMITS}). */
export interface NetworkLimits {
  /** Node's `headersTimeout`: the whole header block must arrive within this. */
  readonly headersTimeoutMs: number;
  /** Node's `requestTimeout`: a request, body included, must arrive within this. */
  readonly requestTimeoutMs: number;
  /** A connection with no traffic in either direction for this long is closed. */
  readonly idleTimeoutMs: number;
  /** An upload with no new bytes for this long fails with UPLOAD_STALLED and gives back its memory. */
  readonly uploadStallMs: number;
  /** Open connections in total. */
  readonly maxConnections: number;
  /** Open connections from one remote address. */
  readonly maxConnectionsPerAddress: number;
}

/**
 * A 1 GiB upload over loopback takes seconds, over a slow LAN a few minutes: ten minutes per
 * request is generous for users and short for an attacker. 512 connections stay well under
 * the usual limit of 1,024 open files, leaving room for models, logs and spilled results.
 */
export const DEFAULT_NETWORK_LIMITS: NetworkLimits = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 600_000,
  idleTimeoutMs: 60_000,
  uploadStallMs: 30_000,
  maxConnections: 512,
  maxConnectionsPerAddress: 256,
};

/** Tracks open connections, oldest first, and which of them have authenticated. */
export class ConnectionGuard {
  readonly #limits: NetworkLimits;
  /** Insertion order is age order. */
  readonly #open = new Set<Socket>();
  readonly #trusted = new WeakSet<Socket>();
  readonly #perAddress = new Map<string, number>();
  /** A destroyed socket forgets its remote address, so it is kept here. */
  readonly #addressOf = new WeakMap<Socket, string>();
  /** Under TLS, requests see the TLS socket: each leads back to the raw connection counted here. */
  readonly #rawOf = new WeakMap<Socket, Socket>();

  constructor(limits: NetworkLimits) {
    this.#limits = limits;
  }

  /** The options for `http.createServer`: Node's own header and request timeouts. */
  serverOptions(): ServerOptions {
    return {
      headersTimeout: this.#limits.headersTimeoutMs,
      requestTimeout: this.#limits.requestTimeoutMs,
      keepAliveTimeout: Math.min(5_000, this.#limits.idleTimeoutMs),
      // Node checks both timeouts on this interval (30 s by default, longer than a short headers timeout).
      connectionsCheckingInterval: Math.max(100, Math.min(this.#limits.headersTimeoutMs, 30_000) / 4),
    };
  }

  /** Applies the idle timeout to `server` and watches every connection it accepts. */
  attach(server: Server): void {
    server.setTimeout(this.#limits.idleTimeoutMs);
    server.on("connection", (socket: Socket) => this.#accept(socket));
    server.on("secureConnection", (secure: Socket) => this.#alias(secure));
    // What Node's parser refuses (a malformed request, headers too large, a request past its
    // timeout) is answered like every other error, with a code, if the socket can still take it.
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable || socket.destroyed) {
        socket.destroy();
        return;
      }
      const code: ErrorCode =
        error.code === "HPE_HEADER_OVERFLOW" ? "MESSAGE_TOO_LARGE" : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "UPLOAD_STALLED" : "MESSAGE_INVALID";
      const body = JSON.stringify({ error: new PortraitError(code, "The request could not be read as HTTP/1.1 within the limits.", { reason: error.code ?? null }).toPayload() });
      socket.end(
        `HTTP/1.1 ${ERROR_HTTP_STATUS[code]} ${code}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  }

  /** Marks the connection as authenticated: it is no longer dropped to make room. */
  trust(socket: Socket | null | undefined): void {
    if (socket) this.#trusted.add(this.#rawOf.get(socket) ?? socket);
  }

  /** Number of open connections. */
  get size(): number {
    return this.#open.size;
  }

  /** Links a TLS socket to the raw connection it runs on (same remote address and port). */
  #alias(secure: Socket): void {
    secure.on("error", () => {
      // As for raw sockets: the 'close' of the connection underneath cleans up.
    });
    for (const socket of this.#open) {
      if (socket.remotePort === secure.remotePort && this.#addressOf.get(socket) === secure.remoteAddress) {
        this.#rawOf.set(secure, socket);
        return;
      }
    }
  }

  #accept(socket: Socket): void {
    socket.on("error", () => {
      // Resets and broken pipes end the connection; its 'close' cleans up.
    });
    const address = socket.remoteAddress ?? "unknown";
    this.#addressOf.set(socket, address);
    this.#open.add(socket);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    socket.once("close", () => this.#forget(socket));
    if ((this.#perAddress.get(address) ?? 0) > this.#limits.maxConnectionsPerAddress) this.#makeRoom(socket, address);
    if (this.#open.size > this.#limits.maxConnections) this.#makeRoom(socket, undefined);
  }

  /** Drops the oldest unauthenticated connection (of `address`, if given); the newcomer if there is none. */
  #makeRoom(newcomer: Socket, address: string | undefined): void {
    for (const socket of this.#open) {
      if (socket === newcomer || this.#trusted.has(socket)) continue;
      if (address !== undefined && this.#addressOf.get(socket) !== address) continue;
      socket.destroy();
      this.#forget(socket);
      return;
    }
    newcomer.destroy();
    this.#forget(newcomer);
  }

  /** Counts a socket as gone (at once when it is dropped; its later 'close' is then a no-op). */
  #forget(socket: Socket): void {
    if (!this.#open.delete(socket)) return;
    const address = this.#addressOf.get(socket) ?? "unknown";
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }
}

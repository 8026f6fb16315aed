/**
 * The WebSocket endpoint `/v1/ws`: the upgrade is checked (Host, Origin, and the token if an
 * Authorization header is sent) before a WebSocket exists, a refused one is answered with a
 * code like any HTTP error; then each connection gets its {@link WsSession}, and a heartbeat
 * drops connections that stopped answering pings.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { ERROR_HTTP_STATUS, PortraitError, WS_PATH, toErrorPayload } from "@portrait-upscale/shared";
import type { DaemonContext } from "./context";
import { bearerToken, checkHost, checkOrigin, checkToken, pairingRequester } from "./security";
import { WsSession } from "./ws-session";

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
    /** The named per-client token the upgrade carried (undefined: the machine's token, or none). */
    let holder: string | undefined;
    try {
      checkHost(request.headers, context.allowedHosts);
      checkOrigin(request.headers, context.config.allowedOrigins);
      const path = new URL(request.url ?? "/", "http://daemon").pathname;
      if (path !== WS_PATH) throw new PortraitError("NOT_FOUND", `No WebSocket endpoint at ${path}; use ${WS_PATH}.`, { path });
      const token = bearerToken(request.headers);
      if (token !== undefined) {
        holder = checkToken(token, context.token, context.clientTokens);
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
      const session = new WsSession(context, ws, clientId, preAuthenticated, options, peer, holder);
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


/**
 * What the panel model's tests against a real daemon share: a socket factory on `ws` (Node's
 * stand-in for UXP's WebSocket) and the wait for a state the panel reaches by itself.
 */
import WebSocket from "ws";
import type { SocketFactory, SocketLike } from "../src/client/socket";

/** Sockets as UXP opens them, on `ws` (no compression, as UXP sends none). */
export const sockets: SocketFactory = (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike;

/** Resolves once `condition()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The few WebSocket members the client uses, and opening one. UXP's WebSocket, a browser's and
 * the `ws` package's all have them, so the client runs unchanged in Photoshop, the harness and Node.
 */
import { PanelError } from "../panel-errors";

export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Bytes queued but not yet sent: UXP closes a socket whose buffer overflows, so uploads watch it. */
  readonly bufferedAmount: number;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Opens a socket to `url` (injected so tests and the harness can choose the implementation). */
export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

/** The platform's WebSocket (UXP and browsers). */
export const platformSocketFactory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/**
 * Opens a socket to `url` and hands it to `take` the moment it opens (before any message can
 * arrive); rejects with DAEMON_UNREACHABLE, carrying `data`, when it cannot open in `timeoutMs`.
 */
export function openSocket<T>(factory: SocketFactory, url: string, data: Record<string, unknown>, timeoutMs: number, take: (socket: SocketLike) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    let socket: SocketLike;
    try {
      socket = factory(url);
    } catch (error) {
      reject(new PanelError("DAEMON_UNREACHABLE", error instanceof Error ? error.message : String(error), data));
      return;
    }
    const fail = (why: string): void => {
      clearTimeout(timer);
      socket.onopen = socket.onclose = socket.onerror = null;
      try {
        socket.close();
      } catch {
        // Already closed: nothing to release.
      }
      reject(new PanelError("DAEMON_UNREACHABLE", why, data));
    };
    const timer = setTimeout(() => fail("The connection timed out."), timeoutMs);
    socket.onerror = () => fail("The connection was refused.");
    socket.onclose = () => fail("The connection was closed before it opened.");
    socket.onopen = () => {
      clearTimeout(timer);
      socket.onopen = null;
      resolve(take(socket));
    };
  });
}

/**
 * The few WebSocket members the client uses. UXP's WebSocket, a browser's and the `ws`
 * package's all have them, so the client runs unchanged in Photoshop, the harness and Node.
 */
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

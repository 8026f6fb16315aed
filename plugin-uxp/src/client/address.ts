/** The daemon's address as the user configures it, and the WebSocket and HTTP URLs made from it. */
import { WS_PATH } from "@portrait-upscale/shared";

/** The daemon's address as the user configures it. */
export interface DaemonAddress {
  readonly host: string;
  readonly port: number;
  /** A studio daemon served with TLS (`serve --tls-cert … --tls-key …`): wss:// and https://. */
  readonly secure?: boolean;
}

function hostPart(address: DaemonAddress): string {
  return address.host.includes(":") && !address.host.startsWith("[") ? `[${address.host}]` : address.host;
}

/** `ws://host:port/v1/ws`, or `wss://` for a secure address. */
export function webSocketUrl(address: DaemonAddress): string {
  return `${address.secure ? "wss" : "ws"}://${hostPart(address)}:${address.port}${WS_PATH}`;
}

/** `http://host:port` (for the health probe), or `https://` for a secure address. */
export function httpUrl(address: DaemonAddress): string {
  return `${address.secure ? "https" : "http"}://${hostPart(address)}:${address.port}`;
}

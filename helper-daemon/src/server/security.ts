/**
 * The checks every request passes before anything else: the `Host` names this daemon (defeats
 * DNS rebinding), the `Origin` is not a web page, the token is right, and nothing large is
 * read from a client that has not authenticated. They run in the HTTP handler and in the
 * `upgrade` handler, before a WebSocket exists. Every authentication decision lives here.
 */
import type { IncomingHttpHeaders } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { PortraitError } from "@portrait-upscale/shared";
import type { ClientTokens } from "../clients/client-tokens";
import { tokenMatches } from "../config/token";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** True for host names and addresses that only reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * The `Host` values this daemon answers to: loopback names on its port, plus the configured
 * host; listening on every address (0.0.0.0, ::) allows this machine's own addresses and name.
 */
export function allowedHostHeaders(port: number, configuredHost: string): Set<string> {
  const names = [...LOOPBACK_NAMES];
  if (configuredHost === "0.0.0.0" || configuredHost === "::") {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.push(address.family === "IPv6" ? `[${address.address}]` : address.address);
    }
    names.push(hostname(), `${hostname()}.local`);
  } else if (!isLoopbackHost(configuredHost)) {
    names.push(configuredHost.includes(":") && !configuredHost.startsWith("[") ? `[${configuredHost}]` : configuredHost);
  }
  return new Set(names.map((name) => `${name.toLowerCase()}:${port}`));
}

/**
 * Throws HOST_FORBIDDEN unless the `Host` header is one of `allowed`. The answer goes to
 * whoever asked, so it names only what they sent, never this machine's addresses or name.
 */
export function checkHost(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): void {
  const host = headers.host?.toLowerCase();
  if (host === undefined || !allowed.has(host)) {
    throw new PortraitError("HOST_FORBIDDEN", `The Host header ${host === undefined ? "is missing" : `"${host}"`} does not name this daemon.`, {
      host: host ?? null,
    });
  }
}

/**
 * Photoshop plug-ins live at `plugin:` URLs, so if UXP sends an Origin at all it has that
 * scheme; browsers send `http(s)://…` or `null` from every page, and those are refused.
 */
export function isUxpOrigin(origin: string): boolean {
  return /^(plugin|uxp):/i.test(origin);
}

/** Throws ORIGIN_FORBIDDEN for an Origin header from a web page. No Origin is fine (native clients). */
export function checkOrigin(headers: IncomingHttpHeaders, extraAllowed: readonly string[]): void {
  const origin = headers.origin;
  if (origin === undefined) return;
  if (isUxpOrigin(origin) || extraAllowed.includes(origin)) return;
  throw new PortraitError("ORIGIN_FORBIDDEN", undefined, { origin });
}

/** The token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

/**
 * Throws AUTH_REQUIRED without a token and AUTH_INVALID with a wrong (or revoked) one. Returns
 * the client's name for a per-client token, undefined for the machine's own token.
 */
export function checkToken(presented: string | undefined, actual: string, clients?: ClientTokens): string | undefined {
  if (presented === undefined || presented.length === 0) throw new PortraitError("AUTH_REQUIRED");
  if (tokenMatches(presented, actual)) return undefined;
  const client = clients?.identify(presented);
  if (client === undefined) throw new PortraitError("AUTH_INVALID");
  return client;
}

/**
 * Largest message read from a client that has not authenticated (hello, pair, the pairing
 * body): enough for any real one, too small for a parser to be kept busy with.
 */
export const PRE_AUTH_MAX_MESSAGE_BYTES = 4 * 1024;

/** Throws MESSAGE_TOO_LARGE for a message over {@link PRE_AUTH_MAX_MESSAGE_BYTES} from a client not yet authenticated. */
export function checkPreAuthSize(byteLength: number, authenticated: boolean): void {
  if (authenticated || byteLength <= PRE_AUTH_MAX_MESSAGE_BYTES) return;
  throw new PortraitError(
    "MESSAGE_TOO_LARGE",
    `Expected at most ${PRE_AUTH_MAX_MESSAGE_BYTES} bytes for a message before authentication but received ${byteLength}`,
    { limit: PRE_AUTH_MAX_MESSAGE_BYTES },
  );
}

/**
 * The key a pairing attempt is throttled under: the remote address, except on loopback,
 * where every local program shares one address and the connection is the only distinction.
 */
export function pairingRequester(remoteAddress: string | undefined, connection: string): string {
  const address = remoteAddress ?? "unknown";
  return isLoopbackHost(address.replace(/^::ffff:/, "")) ? `${address}#${connection}` : address;
}

/**
 * The connection as a state machine: every state names what is wrong and what fixes it, so
 * the panel never says just "not connected". Pure: the reducer takes a state and an event
 * and returns the next state; the panel model performs the effects (sockets, timers).
 */
import type { AnyErrorCode } from "../panel-errors";

export type ConnectionStatus =
  /** Opening the socket or waiting for the daemon's welcome. */
  | "connecting"
  /** Nothing listens on the configured port. Retried with backoff. */
  | "daemon-not-running"
  /** Something that is not the daemon answers on the port. Retried with backoff. */
  | "wrong-port"
  /** The daemon needs this panel to be paired (no token stored). */
  | "pairing-needed"
  /** A pairing code was sent; waiting for the token. */
  | "pairing"
  /** The stored token was refused (the daemon's token changed). */
  | "wrong-token"
  /** Panel and daemon speak different protocol versions. */
  | "version-mismatch"
  /** The daemon answered but refused this panel for another reason (e.g. its Host or Origin checks). Retried. */
  | "refused"
  | "connected"
  /** Connected, with a job running. */
  | "busy";

/** What the panel shows about the daemon it is connected to. */
export interface DaemonSummary {
  readonly version: string;
  readonly provider: string;
  readonly providers: readonly string[];
}

export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** Failed attempts in a row (drives the backoff). */
  readonly attempt: number;
  /** When the next automatic attempt happens, if one is planned. */
  readonly retryInMs?: number;
  readonly daemon?: DaemonSummary;
  /** The error behind the state, when there is one. */
  readonly error?: { readonly code: AnyErrorCode; readonly message: string };
  /** True when the state follows a lost connection (the daemon stopped or restarted). */
  readonly lost?: boolean;
}

/** What the health probe (`GET /v1/health`) found when the socket could not be used. */
export type ProbeResult = "nothing" | "foreign" | "daemon" | "daemon-other-protocol";

export type ConnectionEvent =
  | { readonly type: "connect" }
  | { readonly type: "unreachable"; readonly probe: ProbeResult; readonly message?: string }
  | { readonly type: "welcome"; readonly daemon: DaemonSummary }
  | { readonly type: "rejected"; readonly code: AnyErrorCode; readonly message: string }
  | { readonly type: "pair" }
  | { readonly type: "closed" }
  | { readonly type: "job-started" }
  | { readonly type: "job-finished" };

export const INITIAL_CONNECTION: ConnectionState = { status: "connecting", attempt: 0 };

/** Longest pause between automatic attempts. */
export const MAX_BACKOFF_MS = 30_000;

/** Pause before automatic attempt number `attempt` (1, 2, 4, 8, 16, then 30 seconds). */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** States the panel leaves on its own (by retrying); the others need the user. */
export function retriesAutomatically(status: ConnectionStatus): boolean {
  return status === "daemon-not-running" || status === "wrong-port" || status === "refused";
}

function failing(state: ConnectionState, status: ConnectionStatus, error?: ConnectionState["error"]): ConnectionState {
  const attempt = state.attempt + 1;
  return {
    status,
    attempt,
    ...(retriesAutomatically(status) ? { retryInMs: backoffMs(attempt) } : {}),
    ...(error ? { error } : {}),
    ...(state.lost ? { lost: true } : {}),
  };
}

/** The next state. Events that do not apply to the current state leave it unchanged. */
export function nextConnectionState(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case "connect":
      if (state.status === "connected" || state.status === "busy" || state.status === "pairing") return state;
      return { status: "connecting", attempt: state.attempt, ...(state.lost ? { lost: true } : {}) };
    case "unreachable": {
      if (state.status !== "connecting" && state.status !== "pairing") return state;
      const message = event.message ? { message: event.message } : {};
      switch (event.probe) {
        case "nothing":
          return failing(state, "daemon-not-running", { code: "DAEMON_UNREACHABLE", message: "", ...message });
        case "foreign":
          return failing(state, "wrong-port", { code: "DAEMON_UNREACHABLE", message: "", ...message });
        case "daemon-other-protocol":
          return failing(state, "version-mismatch", { code: "PROTOCOL_VERSION_MISMATCH", message: "", ...message });
        case "daemon":
          return failing(state, "refused", { code: "DAEMON_UNREACHABLE", message: "", ...message });
      }
      return state;
    }
    case "welcome":
      if (state.status !== "connecting" && state.status !== "pairing") return state;
      return { status: "connected", attempt: 0, daemon: event.daemon };
    case "rejected": {
      if (state.status !== "connecting" && state.status !== "pairing") return state;
      const error = { code: event.code, message: event.message };
      switch (event.code) {
        case "AUTH_REQUIRED":
          return { status: "pairing-needed", attempt: 0 };
        case "AUTH_INVALID":
          return { status: "wrong-token", attempt: 0, error };
        case "PAIRING_INVALID":
          return { status: "pairing-needed", attempt: 0, error };
        case "PROTOCOL_VERSION_MISMATCH":
          return { status: "version-mismatch", attempt: 0, error };
        case "DAEMON_UNREACHABLE":
        case "CONNECTION_LOST":
          return failing(state, "daemon-not-running", error);
        default:
          return failing(state, "refused", error);
      }
    }
    case "pair":
      if (state.status !== "pairing-needed" && state.status !== "wrong-token") return state;
      return { status: "pairing", attempt: 0 };
    case "closed":
      if (state.status !== "connected" && state.status !== "busy") return state;
      return { status: "daemon-not-running", attempt: 1, retryInMs: backoffMs(1), lost: true };
    case "job-started":
      return state.status === "connected" ? { ...state, status: "busy" } : state;
    case "job-finished":
      return state.status === "busy" ? { ...state, status: "connected" } : state;
  }
}

import { describe, expect, it } from "vitest";
import {
  INITIAL_CONNECTION,
  backoffMs,
  nextConnectionState,
  retriesAutomatically,
  type ConnectionEvent,
  type ConnectionState,
  type ConnectionStatus,
} from "./connection";

const daemon = { version: "0.1.0", provider: "cpu", providers: ["cpu"] };
const at = (status: ConnectionStatus, extra: Partial<ConnectionState> = {}): ConnectionState => ({ status, attempt: 0, ...extra });

describe("connection state machine", () => {
  // [from, event, expected status, expected attempt, retry planned]
  const table: [ConnectionState, ConnectionEvent, ConnectionStatus, number, boolean][] = [
    [INITIAL_CONNECTION, { type: "welcome", daemon }, "connected", 0, false],
    [at("connecting"), { type: "unreachable", probe: "nothing" }, "daemon-not-running", 1, true],
    [at("connecting", { attempt: 3 }), { type: "unreachable", probe: "nothing" }, "daemon-not-running", 4, true],
    [at("connecting"), { type: "unreachable", probe: "foreign" }, "wrong-port", 1, true],
    [at("connecting"), { type: "unreachable", probe: "daemon-other-protocol" }, "version-mismatch", 1, false],
    [at("connecting"), { type: "unreachable", probe: "daemon" }, "refused", 1, true],
    [at("connecting"), { type: "rejected", code: "AUTH_REQUIRED", message: "" }, "pairing-needed", 0, false],
    [at("connecting"), { type: "rejected", code: "AUTH_INVALID", message: "" }, "wrong-token", 0, false],
    [at("connecting"), { type: "rejected", code: "PROTOCOL_VERSION_MISMATCH", message: "" }, "version-mismatch", 0, false],
    [at("connecting"), { type: "rejected", code: "CONNECTION_LOST", message: "" }, "daemon-not-running", 1, true],
    [at("connecting"), { type: "rejected", code: "INTERNAL", message: "" }, "refused", 1, true],
    [at("pairing-needed"), { type: "pair" }, "pairing", 0, false],
    [at("wrong-token"), { type: "pair" }, "pairing", 0, false],
    [at("pairing"), { type: "welcome", daemon }, "connected", 0, false],
    [at("pairing"), { type: "rejected", code: "PAIRING_INVALID", message: "" }, "pairing-needed", 0, false],
    [at("connected", { daemon }), { type: "job-started" }, "busy", 0, false],
    [at("busy", { daemon }), { type: "job-finished" }, "connected", 0, false],
    [at("connected", { daemon }), { type: "closed" }, "daemon-not-running", 1, true],
    [at("busy", { daemon }), { type: "closed" }, "daemon-not-running", 1, true],
    [at("daemon-not-running", { attempt: 2 }), { type: "connect" }, "connecting", 2, false],
    [at("wrong-token"), { type: "connect" }, "connecting", 0, false],
    // Events that do not apply leave the state alone.
    [at("connected", { daemon }), { type: "connect" }, "connected", 0, false],
    [at("connected", { daemon }), { type: "unreachable", probe: "nothing" }, "connected", 0, false],
    [at("pairing-needed"), { type: "welcome", daemon }, "pairing-needed", 0, false],
    [at("daemon-not-running", { attempt: 1 }), { type: "closed" }, "daemon-not-running", 1, false],
    [at("connecting"), { type: "job-started" }, "connecting", 0, false],
    [at("connected", { daemon }), { type: "job-finished" }, "connected", 0, false],
  ];

  it.each(table)("%o + %o → %s", (from, event, status, attempt, retry) => {
    const next = nextConnectionState(from, event);
    expect(next.status).toBe(status);
    expect(next.attempt).toBe(attempt);
    expect(next.retryInMs !== undefined).toBe(retry);
  });

  it("keeps the daemon's summary while connected and busy, and the error that explains a failure", () => {
    const connected = nextConnectionState(INITIAL_CONNECTION, { type: "welcome", daemon });
    expect(nextConnectionState(connected, { type: "job-started" }).daemon).toEqual(daemon);
    const wrong = nextConnectionState(at("connecting"), { type: "rejected", code: "AUTH_INVALID", message: "The token is wrong." });
    expect(wrong.error).toEqual({ code: "AUTH_INVALID", message: "The token is wrong." });
  });

  it("remembers that a connection was lost until it is back", () => {
    let state = nextConnectionState(at("connected", { daemon }), { type: "closed" });
    expect(state.lost).toBe(true);
    state = nextConnectionState(state, { type: "connect" });
    state = nextConnectionState(state, { type: "unreachable", probe: "nothing" });
    expect(state).toMatchObject({ status: "daemon-not-running", attempt: 2, retryInMs: 2000, lost: true });
    state = nextConnectionState(nextConnectionState(state, { type: "connect" }), { type: "welcome", daemon });
    expect(state.lost).toBeUndefined();
  });

  it("backs off 1, 2, 4, 8, 16, then 30 seconds", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("retries on its own only where the user has nothing to do", () => {
    const statuses: ConnectionStatus[] = ["connecting", "daemon-not-running", "wrong-port", "pairing-needed", "pairing", "wrong-token", "version-mismatch", "refused", "connected", "busy"];
    expect(statuses.filter(retriesAutomatically)).toEqual(["daemon-not-running", "wrong-port", "refused"]);
  });
});

import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "@portrait-upscale/shared";
import type { ConnectionStatus } from "../model/connection";
import { PANEL_ERROR_CODES, type AnyErrorCode } from "../panel-errors";
import { connectionView, etaText, messageFor, phaseView } from "./messages";

const address = { host: "127.0.0.1", port: 7421 };

describe("messages", () => {
  it("has words and an action for every code, the daemon's and the panel's", () => {
    for (const code of [...Object.keys(ERROR_CODES), ...Object.keys(PANEL_ERROR_CODES)] as AnyErrorCode[]) {
      const message = messageFor(code);
      expect(message.title.length, code).toBeGreaterThan(5);
      expect(message.advice.length, code).toBeGreaterThan(5);
    }
  });

  it("names a specific problem and its fix for every connection state", () => {
    const expectations: [ConnectionStatus, RegExp, string[]][] = [
      ["daemon-not-running", /not running/, ["retry", "address"]],
      ["wrong-port", /Another program answers on port 7421/, ["address", "retry"]],
      ["pairing-needed", /Pair this panel/, ["pair"]],
      ["wrong-token", /refused this panel's key/, ["pair"]],
      ["version-mismatch", /different releases/, ["retry"]],
      ["refused", /refused the connection/, ["address", "retry"]],
      ["connected", /^Connected$/, []],
      ["busy", /working/, []],
    ];
    for (const [status, title, actions] of expectations) {
      const view = connectionView({ status, attempt: 0 }, address);
      expect(view.title, status).toMatch(title);
      expect(view.actions, status).toEqual(actions);
    }
  });

  it("counts down to the next attempt", () => {
    const state = { status: "daemon-not-running" as const, attempt: 3, retryInMs: 4000 };
    expect(connectionView(state, address).detail).toContain("Trying again in 4 s.");
    expect(connectionView(state, address, 2).detail).toContain("Trying again in 2 s.");
    expect(connectionView(state, address, 0).detail).toContain("Trying again now…");
    expect(connectionView({ ...state, lost: true }, address).title).toBe("The daemon stopped.");
  });

  it("shows the daemon's version and active provider once connected", () => {
    const view = connectionView({ status: "connected", attempt: 0, daemon: { version: "0.1.0", provider: "cuda", providers: ["cuda", "cpu"] } }, address);
    expect(view.detail).toBe("daemon 0.1.0 · CUDA");
  });

  it("describes progress with tiles and time left", () => {
    expect(phaseView({ phase: "working", jobId: "j_1", stage: "upscale", fraction: 0.5, tile: 3, tiles: 8, etaSeconds: 12.4 })).toEqual({
      label: "Upscaling tile 3 of 8",
      fraction: 0.05 + 0.85 * 0.5,
      eta: "about 12 s left",
    });
    expect(etaText(200)).toBe("about 3 min left");
    expect(etaText(0.2)).toBe("almost done");
  });
});

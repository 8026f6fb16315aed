import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "@portrait-upscale/shared";
import type { ConnectionStatus } from "../model/connection";
import { PANEL_ERROR_CODES, type AnyErrorCode } from "../panel-errors";
import { checkText, connectionView, etaText, messageFor, noteText, phaseView, regionTitle, regionWords, remainingAdvice } from "./messages";

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

describe("result notes and review words", () => {
  const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/protocol/${name}.json`, import.meta.url), "utf8"));

  it("puts the daemon's note codes in the panel's words, and shows unknown ones as the daemon wrote them", () => {
    const { result } = fixture("job-status.done-with-notes");
    expect(noteText(result.notes[0])).toMatch(/^The face is small in the source/);
    expect(noteText(result.notes[1])).toMatch(/^At this scale most fine detail is the models' guess/);
    expect(noteText({ code: "NOTICE", message: "The GPU ran out of memory; the CPU finished." })).toBe("The GPU ran out of memory; the CPU finished.");
  });

  it("has its own words for the face-restore and face-mesh notes", () => {
    const restored = { code: "FACES_RESTORED", message: "2 face(s) restored with gfpgan at strength 0.5.", data: { model: "gfpgan", strength: 0.5, faces: 2 } };
    const fallback = { code: "MESH_FALLBACK", message: "One face used approximate regions.", data: { faces: [{ reason: "small" }] } };
    expect(noteText(restored)).toMatch(/^Faces were redrawn by the face-restore model/);
    expect(noteText(fallback)).toMatch(/^Some faces were too small, turned or unclear for the face mesh/);
  });

  it("names regions in words", () => {
    expect(regionWords("noseBridge")).toBe("nose bridge");
    expect(regionWords("image")).toBe("whole image");
    expect(regionTitle("skin", 0, 1)).toBe("Skin");
    expect(regionWords("upperLip")).toBe("upper lip");
    expect(regionTitle("noseBridge", 0, 1)).toBe("Nose bridge");
    expect(regionTitle("eyes", 1, 2)).toBe("Face 2 · eyes");
  });

  it("names the bound a check crossed: the minimum when a two-sided check came out low", () => {
    expect(checkText({ face: 0, region: "noseBridge", metric: "halo", value: 0.031, limit: 0.02, passed: false })).toBe("halo 0.031, above the limit 0.02");
    expect(checkText({ face: 0, region: "eyes", metric: "texture-ratio", value: 0.42, min: 0.6, limit: 1.4, passed: false })).toBe("texture 0.42, below the minimum 0.6");
    expect(checkText({ face: 0, region: "eyes", metric: "texture-ratio", value: 1.9, min: 0.6, limit: 1.4, passed: false })).toBe("texture 1.9, above the limit 1.4");
    // Just past the limit never reads as equal to it.
    expect(checkText({ region: "image", metric: "halo", value: 0.0212, limit: 0.02, passed: false })).toBe("halo 0.0212, above the limit 0.02");
    expect(checkText({ face: 0, region: "skin", metric: "mottling", value: 1.5, limit: 1.27, passed: false })).toBe("blotchy skin (mottling) 1.5, above the limit 1.27");
  });

  it("leaves out of the advice what a failed check already says", () => {
    const { report } = fixture("daemon.review");
    expect(remainingAdvice(report)).toEqual(["Change one setting at a time and run again from the original"]);
  });
});

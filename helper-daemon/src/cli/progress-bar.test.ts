import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressBar, formatDuration, parseProgressMode } from "./progress-bar";

function terminal(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: string } {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      stream.text += String(chunk);
      callback();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: string };
  stream.isTTY = isTTY;
  stream.columns = 80;
  stream.text = "";
  return stream;
}

describe("ProgressBar", () => {
  it("draws one self-overwriting line with tiles and ETA on a terminal, and clears it", () => {
    const stream = terminal(true);
    const bar = new ProgressBar(stream);
    bar.update({ stage: "upscale", progress: 0.5, tile: 3, tiles: 6, etaSeconds: 75 });
    expect(stream.text).toMatch(/^\r\[#+-+\]  50% upscale tile 3\/6 ETA 1:15\u001b\[K$/);
    bar.finish();
    expect(stream.text.endsWith("\r\u001b[K")).toBe(true);
  });

  it("writes one plain line per stage and percent when stderr is not a terminal", () => {
    const stream = terminal(false);
    const bar = new ProgressBar(stream);
    bar.update({ stage: "decode", progress: 0 });
    bar.update({ stage: "upscale", progress: 0.5, tile: 1, tiles: 2, etaSeconds: 3 });
    bar.update({ stage: "upscale", progress: 0.504, tile: 1, tiles: 2, etaSeconds: 3 });
    bar.update({ stage: "encode", progress: 0.95, etaSeconds: 0 });
    bar.finish();
    expect(stream.text).toBe("progress: 0% decode\nprogress: 50% upscale tile 1/2 ETA 3s\nprogress: 95% encode\n");
  });

  it("--progress json: one object a line, tile counts only when known", () => {
    const stream = terminal(true);
    const bar = new ProgressBar(stream, "json");
    bar.update({ stage: "fidelity", progress: 0.25, etaSeconds: 12.4 });
    bar.update({ stage: "upscale", progress: 0.5, tile: 3, tiles: 6, etaSeconds: 75 });
    bar.finish();
    expect(stream.text.trim().split("\n").map((line) => JSON.parse(line))).toEqual([
      { stage: "fidelity", progress: 0.25, etaSeconds: 12 },
      { stage: "upscale", progress: 0.5, tile: 3, tiles: 6, etaSeconds: 75 },
    ]);
  });

  it("--progress none writes nothing; a bad mode is refused with the one message shape", () => {
    const stream = terminal(true);
    const bar = new ProgressBar(stream, parseProgressMode("none"));
    bar.update({ stage: "upscale", progress: 0.5, tile: 1, tiles: 2, etaSeconds: 3 });
    bar.finish();
    expect(stream.text).toBe("");
    expect(() => parseProgressMode("fancy")).toThrow("Expected one of auto, bar, lines, json, none for --progress but received \"fancy\" of type string");
  });

  it("formats durations", () => {
    expect([formatDuration(0), formatDuration(59.4), formatDuration(60), formatDuration(3725)]).toEqual(["0s", "59s", "1:00", "62:05"]);
  });
});

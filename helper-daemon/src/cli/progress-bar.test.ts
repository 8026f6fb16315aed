import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressBar, formatDuration } from "./progress-bar";

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

  it("stays silent when stderr is not a terminal", () => {
    const stream = terminal(false);
    const bar = new ProgressBar(stream);
    bar.update({ stage: "upscale", progress: 0.5, tile: 1, tiles: 2, etaSeconds: 3 });
    bar.finish();
    expect(stream.text).toBe("");
  });

  it("formats durations", () => {
    expect([formatDuration(0), formatDuration(59.4), formatDuration(60), formatDuration(3725)]).toEqual(["0s", "59s", "1:00", "62:05"]);
  });
});

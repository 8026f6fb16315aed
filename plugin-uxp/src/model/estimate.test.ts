import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import type { Estimate } from "@portrait-upscale/shared";
import { startTestDaemon, type TestDaemon } from "portrait-upscale/test/daemon/helpers";
import type { SocketFactory, SocketLike } from "../client/socket";
import { PanelError } from "../panel-errors";
import { MemoryPhotoshopAdapter } from "../photoshop/memory-photoshop-adapter";
import { EstimateFollower, estimateText, type EstimateQuestion, type EstimateView } from "./estimate";
import { PanelModel, SETTINGS_FILE, TOKEN_FILE } from "./panel-model";

const sockets: SocketFactory = (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike;

let daemon: TestDaemon | undefined;
let model: PanelModel | undefined;
afterEach(async () => {
  model?.dispose();
  model = undefined;
  await daemon?.stop();
  daemon = undefined;
});

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const estimate = (seconds: number, calibrated = true): Estimate => ({ seconds, provider: "cpu", device: 0, calibrated, models: [] });

describe("estimateText", () => {
  it.each([
    [estimate(170), "about 3 min on CPU"],
    [estimate(42, false), "about 40 s on CPU (uncalibrated)"],
    [{ ...estimate(4800), provider: "cuda" }, "about 1 h 20 min on CUDA"],
  ])("%j → %s", (answer, words) => {
    expect(estimateText(answer)).toBe(words);
  });
});

describe("EstimateFollower", () => {
  it("asks only when the question changes and drops an answer to an older question", async () => {
    const answers: ((value: Estimate) => void)[] = [];
    const asked: EstimateQuestion[] = [];
    const connection = {
      estimate: (question: EstimateQuestion) => {
        asked.push(question);
        return new Promise<Estimate>((resolve) => answers.push(resolve));
      },
    };
    const shown: (EstimateView | undefined)[] = [];
    const follower = new EstimateFollower((view) => shown.push(view));
    const small = { preset: "portrait-natural", overrides: { scale: 2 }, width: 100, height: 100 } as const;
    const large = { ...small, overrides: { scale: 4 } } as const;
    follower.follow(connection, small);
    follower.follow(connection, small);
    follower.follow(connection, large);
    expect(asked).toEqual([small, large]);
    answers[1](estimate(240));
    answers[0](estimate(60));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(shown).toEqual([{ status: "ready", seconds: 240, text: "about 4 min on CPU", calibrated: true }]);
  });

  it("shows why there is no estimate, by code", async () => {
    const shown: (EstimateView | undefined)[] = [];
    const follower = new EstimateFollower((view) => shown.push(view));
    follower.follow({ estimate: () => Promise.reject(new PanelError("PRESET_LOCKED")) }, { preset: "x", overrides: {}, width: 1, height: 1 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(shown).toEqual([{ status: "unavailable", code: "PRESET_LOCKED" }]);
  });
});

describe("the panel shows the estimate before Upscale, following the document and settings", () => {
  it("asks a real daemon for the active layer's size and the chosen scale, and again when they change", async () => {
    daemon = await startTestDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Portrait", width: 1000, height: 500 });
    adapter.addLayer(doc.id, { name: "Background", kind: "background", raster: { width: 1000, height: 500, channels: 3, data: new Uint8Array(1000 * 500 * 3) } });
    adapter.data.set(TOKEN_FILE, daemon.token);
    adapter.data.set(SETTINGS_FILE, JSON.stringify({ port: daemon.port, scale: 2 }));
    model = new PanelModel({ adapter, sockets, fetch });
    await model.start();
    const m = model;
    const text = (): string | undefined => {
      const view = m.getState().estimate;
      return view?.status === "ready" ? view.text : undefined;
    };
    // The test daemon predicts a minute per input megapixel per unit of scale.
    await until("the first estimate", () => text() !== undefined);
    expect(text()).toBe("about 1 min on CPU (uncalibrated)");
    await m.setValue("scale", 4);
    await until("the estimate at 4×", () => text() === "about 2 min on CPU (uncalibrated)");
    adapter.setSelection(doc.id, { left: 0, top: 0, right: 500, bottom: 500 });
    await m.refreshDocument();
    await until("the estimate for the selection", () => text() === "about 1 min on CPU (uncalibrated)");
    // A locked preset is asked about without overrides, as its job would be sent.
    await m.choosePreset("studio-locked");
    await until("the locked preset's estimate", () => m.getState().estimate?.status === "ready" && (m.getState().estimate as { seconds: number }).seconds === 30);
  });
});

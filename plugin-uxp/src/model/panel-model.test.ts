import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "portrait-upscale/src/config/config";
import { createFakeRunner, upscaleNearest } from "portrait-upscale/src/jobs/fake-runner";
import { startDaemon } from "portrait-upscale/src/server/daemon";
import { testCatalog, type TestDaemon } from "portrait-upscale/test/daemon/helpers";
import { sockets, stopAfterEach, until } from "../../test/panel-support";
import { photoshopSamplesToWire, wireToPhotoshopSamples } from "../photoshop/bit-depth";
import { MemoryPhotoshopAdapter, type MemoryRaster } from "../photoshop/memory-photoshop-adapter";
import { PanelModel, SETTINGS_FILE, TOKEN_FILE, type PanelState } from "./panel-model";

const noWait = { sleep: async () => undefined };

const started = stopAfterEach();

function raster(width: number, height: number, channels: 1 | 2 | 3 | 4, bitDepth: 8 | 16, seed = 3): MemoryRaster {
  const data = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = bitDepth === 16 ? (state >>> 8) % 32769 : state >>> 24;
  }
  if (channels === 4 || channels === 2) for (let i = channels - 1; i < data.length; i += channels) data[i] = bitDepth === 16 ? 32768 : 255;
  return { width, height, channels, data };
}

async function connectedModel(adapter: MemoryPhotoshopAdapter, d: TestDaemon, token: string | null = d.token): Promise<PanelModel> {
  if (token !== null) adapter.data.set(TOKEN_FILE, token);
  adapter.data.set(SETTINGS_FILE, JSON.stringify({ port: d.port, placement: "keep" }));
  const model = (started.model = new PanelModel({ adapter, sockets, fetch, modal: noWait }));
  await model.start();
  return model;
}

const status = (m: PanelModel): PanelState["connection"]["status"] => m.getState().connection.status;

/** The expected result in Photoshop's representation: nearest neighbour of the wire bytes. */
function expectedPixels(source: MemoryRaster, bitDepth: 8 | 16, scale: number): Uint8Array | Uint16Array {
  const bytes = photoshopSamplesToWire(source.data, bitDepth);
  const out = upscaleNearest({ kind: "raw", width: source.width, height: source.height, channels: source.channels, bitDepth, bytes }, scale).bytes;
  return wireToPhotoshopSamples(out, bitDepth);
}

describe("panel model with the in-memory Photoshop and a daemon", () => {
  it("connects with the stored token and shows version, provider and presets", async () => {
    const daemon = await started.startDaemon();
    const m = await connectedModel(new MemoryPhotoshopAdapter(), daemon);
    expect(status(m)).toBe("connected");
    expect(m.getState().connection.daemon).toMatchObject({ provider: "cpu" });
    expect(m.getState().presets.map((preset) => preset.id)).toEqual(["portrait-natural", "studio-locked"]);
    expect(m.getState().settings.presetId).toBe("portrait-natural");
  });

  it("upscales a 16-bit layer into one smart object step above the source, pixels exact, source untouched", async () => {
    const daemon = await started.startDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Portrait", width: 40, height: 30, bitDepth: 16, colorProfile: "Adobe RGB (1998)" });
    adapter.addLayer(doc.id, { name: "Background", kind: "background", raster: raster(40, 30, 3, 16, 1) });
    const source = adapter.addLayer(doc.id, { name: "Face", left: 5, top: 6, raster: raster(12, 10, 4, 16, 2) });
    const sourceCopy = source.raster.data.slice();
    const m = await connectedModel(adapter, daemon);
    await m.setValue("scale", 3);
    await m.upscale();
    const job = m.getState().job;
    expect(job.status).toBe("done");
    if (job.status !== "done") return;
    expect(job.summary).toMatchObject({ layerName: "Face ×3 (Natural portrait)", width: 36, height: 30, provider: "fake", models: ["nearest"] });
    const layers = adapter.document(doc.id).layers;
    expect(layers.map((layer) => layer.name)).toEqual(["Background", "Face", "Face ×3 (Natural portrait)"]);
    const placed = layers[2];
    expect(placed.kind).toBe("smartObject");
    expect(placed.bounds).toEqual({ left: 5, top: 6, right: 17, bottom: 16 });
    expect(Array.from(placed.raster.data)).toEqual(Array.from(expectedPixels(source.raster, 16, 3)));
    expect(adapter.document(doc.id).history).toEqual(["Open", "Upscale Portrait"]);
    expect(Array.from(source.raster.data)).toEqual(Array.from(sourceCopy));
    expect(adapter.modalLog).toEqual(["Read layer pixels", "Place upscaled portrait"]);
    expect(status(m)).toBe("connected");
  });

  it("reads a mostly transparent layer trimmed, and places the result at its offset in an enlarged document", async () => {
    const daemon = await started.startDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Portrait", width: 32, height: 32 });
    const pixels = raster(32, 32, 4, 8, 4);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (x < 10 || x >= 14 || y < 20 || y >= 23) pixels.data[(y * 32 + x) * 4 + 3] = 0;
    adapter.addLayer(doc.id, { name: "Speck", raster: pixels });
    const m = await connectedModel(adapter, daemon);
    await m.setValue("scale", 2);
    await m.setValue("placement", "enlarge");
    await m.upscale();
    expect(m.getState().job).toMatchObject({ status: "done", summary: { sourceWidth: 4, sourceHeight: 3, width: 8, height: 6 } });
    const document = adapter.document(doc.id);
    expect([document.width, document.height]).toEqual([64, 64]);
    expect(document.layers[1].bounds).toEqual({ left: 20, top: 40, right: 28, bottom: 46 });
    expect(document.history).toEqual(["Open", "Upscale Portrait"]);
  });

  it("upscales only the selection, into a new document", async () => {
    const daemon = await started.startDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Portrait", width: 20, height: 20, mode: "grayscale" });
    const source = adapter.addLayer(doc.id, { name: "Background", kind: "background", raster: raster(20, 20, 1, 8, 5) });
    adapter.setSelection(doc.id, { left: 4, top: 5, right: 10, bottom: 9 });
    const m = await connectedModel(adapter, daemon);
    await m.setValue("scale", 2);
    await m.setValue("placement", "new-document");
    await m.upscale();
    expect(m.getState().job.status).toBe("done");
    const created = adapter.documents[1];
    expect([created.width, created.height, created.mode]).toEqual([12, 8, "grayscale"]);
    expect(created.history).toEqual(["New", "Upscale Portrait"]);
    const crop = new Uint8Array(6 * 4);
    for (let y = 0; y < 4; y++) crop.set(source.raster.data.subarray((5 + y) * 20 + 4, (5 + y) * 20 + 10), y * 6);
    expect(Array.from(created.layers[0].raster.data)).toEqual(Array.from(expectedPixels({ width: 6, height: 4, channels: 1, data: crop }, 8, 2)));
    expect(adapter.document(doc.id).history).toEqual(["Open"]);
  });

  it("refuses a 32-bit document and an empty layer with their codes, without a modal scope", async () => {
    const daemon = await started.startDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "HDR", width: 8, height: 8, bitDepth: 32 });
    adapter.addLayer(doc.id, { name: "Layer", raster: raster(8, 8, 4, 8) });
    const m = await connectedModel(adapter, daemon);
    await m.upscale();
    expect(m.getState().job).toMatchObject({ status: "failed", error: { code: "DOCUMENT_32_BIT" } });
    const empty = adapter.addDocument({ title: "Empty", width: 8, height: 8 });
    adapter.addLayer(empty.id, { name: "Nothing", raster: { width: 8, height: 8, channels: 4, data: new Uint8Array(256) } });
    await m.upscale();
    expect(m.getState().job).toMatchObject({ status: "failed", error: { code: "INPUT_EMPTY" } });
    expect(adapter.modalLog).toEqual(["Read layer pixels"]);
  });

  it("waits while another plug-in holds the modal state, then explains", async () => {
    const daemon = await started.startDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Portrait", width: 8, height: 8 });
    adapter.addLayer(doc.id, { name: "Layer", raster: raster(8, 8, 4, 8) });
    const m = await connectedModel(adapter, daemon);
    adapter.holdModalStateFor(2);
    await m.upscale();
    expect(m.getState().job.status).toBe("done");
    adapter.holdModalStateFor(100);
    await m.upscale();
    expect(m.getState().job).toMatchObject({ status: "failed", error: { code: "MODAL_BUSY" } });
  });

  it("cancels a running job on the daemon and leaves the document alone", async () => {
    const daemon = await started.startDaemon({ fake: { tiles: 40, tileDelayMs: 50 } });
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Portrait", width: 8, height: 8 });
    adapter.addLayer(doc.id, { name: "Layer", raster: raster(8, 8, 4, 8) });
    const m = await connectedModel(adapter, daemon);
    const running = m.upscale();
    await until("the daemon to work", () => {
      const job = m.getState().job;
      return job.status === "running" && job.phase.phase === "working";
    });
    expect(status(m)).toBe("busy");
    m.cancel();
    await running;
    expect(m.getState().job.status).toBe("cancelled");
    expect(adapter.document(doc.id).layers).toHaveLength(1);
    expect(adapter.document(doc.id).history).toEqual(["Open"]);
  });

  it("asks for pairing without a token, stores the token a code brings, and says when a token is wrong", async () => {
    const daemon = await started.startDaemon();
    const adapter = new MemoryPhotoshopAdapter();
    const m = await connectedModel(adapter, daemon, null);
    expect(status(m)).toBe("pairing-needed");
    await m.pair("000-000");
    expect(m.getState().connection).toMatchObject({ status: "pairing-needed", error: { code: "PAIRING_INVALID" } });
    await m.pair(daemon.pairing.createCode().code);
    expect(status(m)).toBe("connected");
    expect(adapter.data.get(TOKEN_FILE)).toBe(daemon.token);
    m.dispose();
    const other = new MemoryPhotoshopAdapter();
    const wrong = await connectedModel(other, daemon, "x".repeat(43));
    expect(wrong.getState().connection).toMatchObject({ status: "wrong-token", error: { code: "AUTH_INVALID" } });
  });

  it("says the daemon is not running, and reconnects by itself when it is back", async () => {
    const daemon = await started.startDaemon();
    const { port, token } = daemon;
    const m = await connectedModel(new MemoryPhotoshopAdapter(), daemon);
    await daemon.stop();
    started.daemon = undefined;
    await until("the loss to be noticed", () => status(m) === "daemon-not-running");
    expect(m.getState().connection).toMatchObject({ lost: true, retryInMs: 1000 });
    // The same daemon comes back: same port, same token.
    const tempRoot = await mkdtemp(join(tmpdir(), "pu-panel-"));
    const restarted = await startDaemon({ config: parseConfig({ port, host: "127.0.0.1" }), token, runner: createFakeRunner(), catalog: testCatalog, tempRoot });
    try {
      await until("the reconnect", () => status(m) === "connected", 15_000);
    } finally {
      m.dispose();
      await restarted.close();
      await rm(tempRoot, { recursive: true, force: true });
    }
  });
});

// The panel's face-restore choice: the chooser's models come from the daemon's model list
// (only its face-restore ones), a stored model the daemon lacks falls back to the preset's,
// and a job sends the overrides the daemon reads (none for the preset's, null for none).
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import type { JobOptions } from "portrait-upscale/src/jobs/types";
import type { DaemonCatalog } from "portrait-upscale/src/server/context";
import { startTestDaemon, testCatalog, type TestDaemon } from "portrait-upscale/test/daemon/helpers";
import type { SocketFactory, SocketLike } from "../client/socket";
import { MemoryPhotoshopAdapter } from "../photoshop/memory-photoshop-adapter";
import { PanelModel, SETTINGS_FILE, TOKEN_FILE } from "./panel-model";
import { faceRestoreOverrides } from "./upscale-job";

const sockets: SocketFactory = (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike;
const faces = { id: "user:faces", name: "faces (the studio's)", scale: 1, installed: true, role: "face-restore" as const };
const detail = { id: "user:x2", name: "x2 (yours)", scale: 2, installed: true, role: "detail" as const };

let daemon: TestDaemon | undefined;
let model: PanelModel | undefined;
afterEach(async () => {
  model?.dispose();
  model = undefined;
  await daemon?.stop();
  daemon = undefined;
});

/** A connected panel model with `stored` settings, against a daemon with `catalog`; `adapter` may hold a document. */
async function connect(
  stored: Record<string, unknown>,
  catalog: DaemonCatalog = { ...testCatalog, models: () => [...testCatalog.models(), faces, detail] },
  adapter = new MemoryPhotoshopAdapter(),
): Promise<PanelModel> {
  daemon = await startTestDaemon({ catalog });
  adapter.data.set(TOKEN_FILE, daemon.token);
  adapter.data.set(SETTINGS_FILE, JSON.stringify({ port: daemon.port, ...stored }));
  model = new PanelModel({ adapter, sockets, fetch, modal: { sleep: async () => undefined } });
  await model.start();
  const end = Date.now() + 10_000;
  while (model.getState().connection.status !== "connected" && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
  return model;
}

describe("the panel's face-restore choice", () => {
  it("lists the daemon's face-restore models only", async () => {
    const m = await connect({});
    expect(m.getState().faceRestoreModels).toEqual([faces]);
    await m.setValue("faceRestore", "user:faces");
    expect(m.getState().settings.faceRestore).toBe("user:faces");
  });

  it("lists none when the daemon has none, and forgets a stored model the daemon lacks", async () => {
    const m = await connect({ faceRestore: "user:gone", faceRestoreStrength: 0.8 }, testCatalog);
    expect(m.getState().faceRestoreModels).toEqual([]);
    expect(m.getState().settings).toMatchObject({ faceRestore: "preset", faceRestoreStrength: 0.8 });
  });

  it("sends the daemon overrides it reads: none for the preset's, null for none, else the model and strength", () => {
    expect(faceRestoreOverrides({ faceRestore: "preset", faceRestoreStrength: 0.5 })).toEqual({});
    expect(faceRestoreOverrides({ faceRestore: "off", faceRestoreStrength: 0.5 })).toEqual({ faceRestore: null });
    expect(faceRestoreOverrides({ faceRestore: "user:faces", faceRestoreStrength: 0.3 })).toEqual({ faceRestore: "user:faces", faceRestoreStrength: 0.3 });
  });

  it("submits the chosen model and strength with the job", async () => {
    const seen: JobOptions[] = [];
    const catalog: DaemonCatalog = { ...testCatalog, models: () => [...testCatalog.models(), faces], checkOptions: (options) => (seen.push(options), testCatalog.checkOptions(options)) };
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "Face", width: 8, height: 8 });
    adapter.addLayer(doc.id, { name: "Face", raster: { width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3).fill(128) } });
    const m = await connect({ placement: "keep", faceRestore: "user:faces", faceRestoreStrength: 0.25 }, catalog, adapter);
    await m.upscale();
    expect(m.getState().job.status).toBe("done");
    expect(seen.at(-1)).toMatchObject({ faceRestore: "user:faces", faceRestoreStrength: 0.25 });
  });
});

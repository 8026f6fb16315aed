import { describe, expect, it } from "vitest";
import { sockets, stopAfterEach, until } from "../../test/panel-support";
import { MemoryPhotoshopAdapter } from "../photoshop/memory-photoshop-adapter";
import { connectionView } from "../ui/messages";
import { HELPER_DOWNLOAD_URL, HELPER_START_URL } from "./helper-launch";
import { PanelModel, SETTINGS_FILE } from "./panel-model";
import { freePort } from "portrait-upscale/src/queue/private-redis";


const started = stopAfterEach();

async function panelOn(adapter: MemoryPhotoshopAdapter, port: number): Promise<PanelModel> {
  adapter.data.set(SETTINGS_FILE, JSON.stringify({ port }));
  const model = (started.model = new PanelModel({ adapter, sockets, fetch }));
  await model.start();
  return model;
}

describe("the panel starts the helper when it is installed but not running", () => {
  it("opens the helper's start link once, and connects to the daemon it starts", async () => {
    const port = await freePort();
    const adapter = new MemoryPhotoshopAdapter();
    // What `portrait-upscale install` registers: the link starts the daemon in the background.
    adapter.linkHandlers.set("portrait-upscale:", async () => {
      await started.startDaemon({ config: { port } });
    });
    const m = await panelOn(adapter, port);
    await until("the helper to be started", () => m.getState().helper === "starting" || m.getState().connection.status === "pairing-needed");
    // The panel reached the started daemon (which asks a new panel to pair).
    await until("the started daemon to answer", () => m.getState().connection.status === "pairing-needed");
    expect(adapter.opened).toEqual([HELPER_START_URL]);
    expect(started.daemon?.port).toBe(port);
  });

  it("says in one sentence what to install, with the link, when nothing handles the start link", async () => {
    const port = await freePort();
    const adapter = new MemoryPhotoshopAdapter();
    const m = await panelOn(adapter, port);
    await until("the helper to be found missing", () => m.getState().helper === "not-installed");
    const view = connectionView(m.getState().connection, { host: "127.0.0.1", port }, undefined, m.getState().helper);
    expect(view.title).toBe("Portrait Upscale is not installed on this computer.");
    expect(view.detail).toBe(`Download Portrait Upscale from ${HELPER_DOWNLOAD_URL}, open it once, and this panel connects by itself.`);
    expect(view.actions[0]).toBe("download");
    await m.openDownloadPage();
    expect(adapter.opened).toEqual([HELPER_START_URL, HELPER_DOWNLOAD_URL]);
  });
});

/**
 * The browser harness: the same panel over the in-memory Photoshop, with the browser's
 * WebSocket and fetch. End-to-end tests drive it through `window.harness`.
 */
import { createRoot } from "react-dom/client";
import { platformSocketFactory } from "../src/client/socket";
import { PanelModel, SETTINGS_FILE, TOKEN_FILE } from "../src/model/panel-model";
import type { Bounds } from "../src/photoshop/adapter";
import type { HarnessLayer } from "./harness-layer";
import { MemoryPhotoshopAdapter, type NewMemoryDocument } from "../src/photoshop/memory-photoshop-adapter";
import { Panel } from "../src/ui/panel";
import { SpectrumContext } from "../src/ui/widgets";
import "../src/ui/theme.css";
import "../src/ui/panel.css";
import "./host-theme.css";

const adapter = new MemoryPhotoshopAdapter();
let model: PanelModel | undefined;

const harness = {
  adapter,
  /** Stores the settings (and token), then mounts the panel and connects. */
  async start(options: { port: number; host?: string; token?: string; placement?: string; presetId?: string; device?: number }): Promise<void> {
    if (options.token) adapter.data.set(TOKEN_FILE, options.token);
    adapter.data.set(
      SETTINGS_FILE,
      JSON.stringify({
        host: options.host ?? "127.0.0.1",
        port: options.port,
        placement: options.placement ?? "keep",
        ...(options.presetId ? { presetId: options.presetId } : {}),
        ...(options.device !== undefined ? { device: options.device } : {}),
      }),
    );
    model = new PanelModel({ adapter, sockets: platformSocketFactory, fetch: (url, init) => fetch(url, init) });
    createRoot(document.getElementById("root")!).render(
      <SpectrumContext.Provider value={false}>
        <Panel model={model} />
      </SpectrumContext.Provider>,
    );
    await model.start();
  },
  state: () => model?.getState(),
  /** The settings as the panel stored them (what a restarted panel reads). */
  storedSettings: (): unknown => JSON.parse(adapter.data.get(SETTINGS_FILE) ?? "{}"),
  addDocument: (spec: NewMemoryDocument): number => adapter.addDocument(spec).id,
  addLayer(documentId: number, layer: HarnessLayer): number {
    const data = layer.bitDepth === 16 ? Uint16Array.from(layer.data) : Uint8Array.from(layer.data);
    return adapter.addLayer(documentId, {
      name: layer.name,
      ...(layer.kind ? { kind: layer.kind } : {}),
      left: layer.left ?? 0,
      top: layer.top ?? 0,
      raster: { width: layer.width, height: layer.height, channels: layer.channels, data },
    }).id;
  },
  setSelection: (documentId: number, selection: Bounds | undefined): void => adapter.setSelection(documentId, selection),
  /** Documents and layers without pixels (JSON-friendly). */
  documents: () =>
    adapter.documents.map((doc) => ({
      id: doc.id,
      title: doc.title,
      width: doc.width,
      height: doc.height,
      bitDepth: doc.bitDepth,
      history: [...doc.history],
      layers: doc.layers.map((layer) => ({
        id: layer.id,
        name: layer.name,
        kind: layer.kind,
        bounds: layer.bounds,
        width: layer.raster.width,
        height: layer.raster.height,
        channels: layer.raster.channels,
      })),
    })),
  layerPixels: (documentId: number, layerId: number): number[] => Array.from(adapter.layer(documentId, layerId).raster.data),
};

(window as unknown as { harness: typeof harness }).harness = harness;

/**
 * The panel's entry inside Photoshop: the real adapter, the platform's WebSocket and fetch,
 * Spectrum UXP widgets, mounted when Photoshop first shows the panel.
 */
import { createRoot, type Root } from "react-dom/client";
import { platformSocketFactory } from "./client/socket";
import { PanelModel } from "./model/panel-model";
import { createUxpPhotoshopAdapter } from "./photoshop/uxp-photoshop-adapter";
import { Panel } from "./ui/panel";
import { SpectrumContext } from "./ui/widgets";
import "./ui/theme.css";
import "./ui/panel.css";

declare const require: (name: string) => unknown;

/** The panel's id in manifest.json. */
export const PANEL_ID = "portrait-upscale.panel";

interface Entrypoints {
  setup(options: { panels: Record<string, { show?(node?: unknown): void; destroy?(): void }> }): void;
}

let root: Root | undefined;
let model: PanelModel | undefined;

function mount(): void {
  if (root) return;
  const container = document.getElementById("root");
  if (!container) return;
  model = new PanelModel({ adapter: createUxpPhotoshopAdapter(), sockets: platformSocketFactory, fetch: (url, init) => fetch(url, init) });
  root = createRoot(container);
  root.render(
    <SpectrumContext.Provider value={true}>
      <Panel model={model} />
    </SpectrumContext.Provider>,
  );
  void model.start();
}

(require("uxp") as { entrypoints: Entrypoints }).entrypoints.setup({
  panels: {
    [PANEL_ID]: {
      show: mount,
      destroy() {
        model?.dispose();
        root?.unmount();
        root = undefined;
        model = undefined;
      },
    },
  },
});

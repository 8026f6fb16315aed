/** The panel's device chooser: the daemon's inference devices, and a word when the chosen one went away. */
import type { PanelModel, PanelState } from "../model/panel-model";
import { messageFor } from "./messages";
import { Detail, Picker } from "./widgets";

/** "RTX 4090 · 24 GB", and "(default)" on the daemon's default. */
function deviceLabel(device: PanelState["devices"][number]): string {
  const memory = device.memoryBytes !== undefined ? ` · ${Math.round(device.memoryBytes / 1024 ** 3)} GB` : "";
  return `${device.name}${memory}${device.default ? " (default)" : ""}`;
}

/** The chooser (only when the daemon lists more than one device) and the fallback notice (whenever there is one). */
export function DeviceField({ model, state, disabled }: { readonly model: PanelModel; readonly state: PanelState; readonly disabled: boolean }): JSX.Element | null {
  const { devices, deviceLost, settings } = state;
  const fallback = devices.find((device) => device.default);
  const notice = deviceLost ? `${messageFor(deviceLost.code).title} Jobs run on ${fallback ? fallback.name : "the default device"} now.` : undefined;
  if (devices.length < 2 && notice === undefined) return null;
  const chosen = settings.device ?? fallback?.id ?? 0;
  return (
    <div className="pu-field" data-testid="device-field">
      {devices.length > 1 ? (
        <div className="pu-row pu-row--spread">
          <Detail>DEVICE</Detail>
          <Picker
            label="Device"
            value={String(chosen)}
            options={devices.map((device) => ({ value: String(device.id), label: deviceLabel(device) }))}
            disabled={disabled}
            onChange={(value) => void model.setDevice(Number(value))}
            testId="device"
          />
        </div>
      ) : null}
      {notice !== undefined ? <Detail testId="device-lost">{notice}</Detail> : null}
    </div>
  );
}

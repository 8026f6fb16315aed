/**
 * The inference devices the daemon offers clients (`welcome.devices`, `GET /v1/devices`): the
 * GPUs the driver reports for the pool's provider, or the one device the provider runs on
 * (the CPU, or a GPU the machine cannot list). A job's `device` is checked against this list
 * when it is accepted, before any pixel is stored.
 */
import { PortraitError, type DeviceSummary } from "@portrait-upscale/shared";
import { listGpuDevices, type GpuDevice, type ProviderName } from "../inference/index";

/**
 * Names a device list the daemon believes in instead of asking the driver, as JSON
 * `[{ "index": 1, "name": "…" }]`: the seam the panel's and GIMP's tests use to show a
 * two-device machine where there is no GPU (each listed device then gets its own CPU pool).
 */
export const DEVICES_ENV = "PORTRAIT_UPSCALE_DEVICES";

/**
 * The devices to offer: `gpus` of the pool's provider when the driver listed any, else the one
 * device the provider runs on. The configured device is the default; it is listed even when
 * the driver did not report it (the pool runs on it anyway).
 */
export function deviceSummaries(provider: ProviderName, defaultDevice: number, gpus: readonly GpuDevice[]): DeviceSummary[] {
  const listed: DeviceSummary[] = gpus
    .filter((gpu) => gpu.provider === provider)
    .map((gpu) => ({
    id: gpu.index,
    provider,
    name: gpu.name.slice(0, 120) || `Device ${gpu.index}`,
    ...(gpu.memoryBytes !== undefined ? { memoryBytes: gpu.memoryBytes } : {}),
    default: gpu.index === defaultDevice,
  }));
  if (!listed.some((device) => device.default)) {
    listed.push({ id: defaultDevice, provider, name: unlistedDeviceName(provider, defaultDevice), default: true });
  }
  return listed.sort((a, b) => a.id - b.id);
}

/** The name of a device the driver did not list: the CPU, or a GPU by its provider and index. */
export function unlistedDeviceName(provider: ProviderName, id: number): string {
  return provider === "cpu" ? "CPU" : `${provider.toUpperCase()} device ${id}`;
}

/** The device a job runs on: `requested` when listed, the default when absent; DEVICE_UNKNOWN (with the list) otherwise. */
export function resolveDevice(devices: readonly DeviceSummary[], requested: number | undefined): number {
  const fallback = devices.find((device) => device.default) ?? devices[0];
  if (requested === undefined) return fallback.id;
  if (devices.some((device) => device.id === requested)) return requested;
  throw new PortraitError("DEVICE_UNKNOWN", `There is no device ${requested} here: choose one of ${devices.map((device) => `${device.id} (${device.name})`).join(", ")}.`, {
    device: requested,
    devices: devices.map((device) => device.id),
    default: fallback.id,
  });
}

/**
 * Reads {@link DEVICES_ENV}: undefined when unset; a malformed value is an error at start-up
 * rather than a silently different device list.
 */
export function injectedDevices(env: NodeJS.ProcessEnv, provider: ProviderName): GpuDevice[] | undefined {
  const text = env[DEVICES_ENV];
  if (text === undefined || text === "") return undefined;
  const refuse = (): never => {
    throw new PortraitError("INVALID_OPTION", `Expected a JSON list like [{"index":1,"name":"GPU"}] for ${DEVICES_ENV} but received ${JSON.stringify(text.slice(0, 200))}`, {
      path: DEVICES_ENV,
    });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse();
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 65) return refuse();
  return parsed.map((entry: unknown) => {
    const { index, name } = (entry ?? {}) as { index?: unknown; name?: unknown };
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > 64 || typeof name !== "string" || name === "") return refuse();
    return { index: index as number, name, provider };
  });
}

/**
 * The GPUs of `provider` on this machine: those {@link DEVICES_ENV} names, else the driver's
 * list (none for the CPU, or where the driver cannot list them).
 */
export async function machineGpus(env: NodeJS.ProcessEnv, provider: ProviderName): Promise<GpuDevice[]> {
  return injectedDevices(env, provider) ?? (provider === "cuda" || provider === "dml" ? listGpuDevices([provider]) : []);
}

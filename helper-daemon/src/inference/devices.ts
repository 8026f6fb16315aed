/**
 * The GPUs `--device N` can choose from, where the machine can tell: onnxruntime-node has no
 * device list, so `doctor` asks the driver's own tool (nvidia-smi for CUDA; the video
 * controllers Windows reports for DirectML, in their usual adapter order). Parsing is pure,
 * so every platform's output is tested anywhere.
 */
import { execFile } from "node:child_process";
import { PortraitError } from "@portrait-upscale/shared";
import type { ProviderName, ProviderRequest } from "./providers";

/** One GPU as the driver reports it; `index` is the `--device` value that selects it. */
export interface GpuDevice {
  readonly index: number;
  readonly name: string;
  /** Dedicated memory, when reported. */
  readonly memoryBytes?: number;
  /** The provider whose device numbering `index` follows. */
  readonly provider: ProviderName;
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` (memory in MiB). */
export function parseNvidiaSmi(output: string): GpuDevice[] {
  return output
    .split(/\r?\n/)
    .map((line) => line.split(",").map((field) => field.trim()))
    .filter((fields) => fields.length >= 3 && /^\d+$/.test(fields[0]))
    .map(([index, name, memory]) => ({
      index: Number(index),
      name,
      ...(/^\d+$/.test(memory) ? { memoryBytes: Number(memory) * 1024 ** 2 } : {}),
      provider: "cuda" as const,
    }));
}

/**
 * Parses PowerShell's `Get-CimInstance Win32_VideoController | Select-Object Name,AdapterRAM |
 * ConvertTo-Json` (one object, or an array). DirectML numbers adapters in DXGI order, which
 * lists the same controllers, usually in this order; AdapterRAM is capped at 4 GiB by WMI.
 */
export function parseWindowsVideoControllers(output: string): GpuDevice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return [];
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list
    .filter((entry): entry is { Name: string; AdapterRAM?: unknown } => typeof entry === "object" && entry !== null && typeof entry.Name === "string")
    .filter((entry) => !/Microsoft Basic (Display|Render)/i.test(entry.Name))
    .map((entry, index) => ({
      index,
      name: entry.Name,
      ...(typeof entry.AdapterRAM === "number" && entry.AdapterRAM > 0 ? { memoryBytes: entry.AdapterRAM } : {}),
      provider: "dml" as const,
    }));
}

/** A command that lists the GPUs for a provider on this platform, with its parser. */
interface DeviceQuery {
  readonly file: string;
  readonly args: readonly string[];
  readonly parse: (output: string) => GpuDevice[];
}

/** Which query `doctor` runs for a platform's providers; none where there is no choice (Apple Silicon has one GPU). */
export function deviceQueries(platform: NodeJS.Platform, providers: readonly ProviderName[]): DeviceQuery[] {
  const queries: DeviceQuery[] = [];
  if (providers.includes("cuda")) {
    queries.push({ file: "nvidia-smi", args: ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"], parse: parseNvidiaSmi });
  }
  if (platform === "win32" && providers.includes("dml")) {
    queries.push({
      file: "powershell.exe",
      args: ["-NoProfile", "-Command", "Get-CimInstance Win32_VideoController | Select-Object Name,AdapterRAM | ConvertTo-Json"],
      parse: parseWindowsVideoControllers,
    });
  }
  return queries;
}

/** The GPUs this machine reports for `providers`; empty where it cannot tell. Each query has 5 s. */
export async function listGpuDevices(providers: readonly ProviderName[], platform: NodeJS.Platform = process.platform): Promise<GpuDevice[]> {
  const found = await Promise.all(
    deviceQueries(platform, providers).map(
      (query) =>
        new Promise<GpuDevice[]>((resolve) => {
          execFile(query.file, [...query.args], { timeout: 5000, windowsHide: true }, (error, stdout) => resolve(error ? [] : query.parse(stdout)));
        }),
    ),
  );
  return found.flat();
}

/** The GPU providers whose device numbering a request follows ("auto" may pick either). */
function gpuProvidersOf(request: ProviderRequest): ProviderName[] {
  if (request === "auto") return ["cuda", "dml"];
  return request === "cuda" || request === "dml" ? [request] : [];
}

/**
 * Refuses (DEVICE_UNKNOWN) a `device` the machine's GPU list does not have. Device 0 is always
 * accepted (the default, and the CPU ignores it), and so is any device where the machine cannot
 * tell (no list for the provider): onnxruntime then reports it when the session is made.
 */
export function checkDevice(device: number, request: ProviderRequest, devices: readonly GpuDevice[]): void {
  if (device === 0) return;
  const providers = gpuProvidersOf(request);
  const known = devices.filter((gpu) => providers.includes(gpu.provider));
  if (known.length === 0 || known.some((gpu) => gpu.index === device)) return;
  throw new PortraitError("DEVICE_UNKNOWN", `There is no GPU ${device}: this machine has ${known.map((gpu) => `${gpu.index} (${gpu.name})`).join(", ")}.`, {
    device,
    devices: known.map((gpu) => gpu.index),
  });
}

/** {@link checkDevice} against the GPUs this machine reports; asks the driver only for a device other than 0. */
export async function ensureDevice(device: number, request: ProviderRequest, list: (providers: readonly ProviderName[]) => Promise<GpuDevice[]> = listGpuDevices): Promise<void> {
  const providers = gpuProvidersOf(request);
  if (device === 0 || providers.length === 0) return;
  checkDevice(device, request, await list(providers));
}

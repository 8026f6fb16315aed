/**
 * The real {@link DaemonCatalog}: providers from the inference module, models from the
 * manifest (with whether each is installed) and the brought ones, presets from the preset store.
 */
import { loadManifest, verifyModels } from "@portrait-upscale/models";
import type { DeviceSummary, ModelSummary } from "@portrait-upscale/shared";
import { availableProviders, currentPlatformFacts, type InferencePool } from "../inference/index";
import type { PresetStore } from "../presets/index";
import { UNCALIBRATED, deviceCalibration, estimateUpscale, protocolEstimate, type Calibration } from "../cost/index";
import type { DaemonCatalog } from "./context";
import { settingsForJob } from "./upscale-runner";
import { deviceSummaries, resolveDevice } from "./devices";
import { broughtModels } from "../user-models/catalog";

/** Model summaries with their installed state (a quick existence/stamp check, no full hashing). */
export async function modelSummaries(): Promise<ModelSummary[]> {
  const states = new Map((await verifyModels()).map((status) => [status.id, status.state]));
  return loadManifest().models.map((model) => ({
    id: model.id,
    // The description's first clause is the human name ("Real-ESRGAN x4plus (RRDBNet)").
    name: model.description.split(":")[0].slice(0, 120) || model.id,
    scale: model.nativeScale,
    installed: states.get(model.id) === "present",
  }));
}

/** The brought models as clients list them (read again when their folders change). */
export function broughtModelSummaries(): ModelSummary[] {
  return broughtModels().map((model) => ({
    id: model.id,
    name: `${model.name} (${model.source === "studio" ? "the studio's" : "yours"})`,
    scale: model.nativeScale,
    installed: true,
    role: model.role,
  }));
}

/** What the catalog's estimates need to know of this machine and its config. */
export interface EstimateBasis {
  /** This machine's calibration (`portrait-upscale calibrate`); UNCALIBRATED without one. */
  readonly calibration: Calibration;
  /** The config's memory budget, which sizes the tiles (as the job runner's does). */
  readonly memoryBudget?: number | null;
  /** The inference device jobs run on when they name none. */
  readonly device?: number;
  /** The devices jobs may name (see `server/devices.ts`), or how to read them now (`serve --queue`); only the default device by default. */
  readonly devices?: readonly DeviceSummary[] | (() => readonly DeviceSummary[]);
}

/** A catalog over the running pool and preset store; models are checked once at start-up. */
export function createCatalog(pool: InferencePool, presets: PresetStore, models: ModelSummary[], basis: EstimateBasis = { calibration: UNCALIBRATED }): DaemonCatalog {
  const available = availableProviders(currentPlatformFacts());
  const listed = basis.devices ?? deviceSummaries(pool.provider, basis.device ?? 0, []);
  const devicesNow = typeof listed === "function" ? listed : () => listed;
  const providerOf = (device: number): string => devicesNow().find((entry) => entry.id === device)?.provider ?? pool.provider;
  return {
    providers: () => ({ available: available.length > 0 ? available : [pool.provider], active: pool.provider }),
    models: () => [...models, ...broughtModelSummaries()],
    presets: () => presets.summaries(),
    defaultPreset: () => presets.defaultId(),
    devices: () => devicesNow().map((device) => ({ ...device })),
    checkOptions: (options) => ({ scale: settingsForJob(presets, options).scale, device: resolveDevice(devicesNow(), options.device) }),
    estimate: (options, width, height) => {
      const device = resolveDevice(devicesNow(), options.device);
      const settings = settingsForJob(presets, options, basis.memoryBudget);
      const provider = providerOf(device);
      return protocolEstimate(estimateUpscale(settings, width, height, provider, deviceCalibration(basis.calibration, provider, device)), device);
    },
  };
}

/**
 * The panel's model: connection, settings, presets, the active document and the job, in one
 * observable state. The UI renders it and calls its actions; it never touches the network or
 * Photoshop itself. Effects (sockets, timers, the adapter) are injected.
 */
import { isUserModelRef, type DeviceSummary, type Limits, type ModelSummary, type PresetSummary } from "@portrait-upscale/shared";
import { DaemonConnection, type DaemonAddress, type JobHandle } from "../client/daemon-client";
import { probeHealth, type FetchLike } from "../client/health";
import type { SocketFactory } from "../client/socket";
import { PanelError, toPanelError, type AnyErrorCode } from "../panel-errors";
import type { DocumentInfo, PhotoshopAdapter } from "../photoshop/adapter";
import type { ModalRetryOptions } from "../photoshop/modal";
import { HELPER_DOWNLOAD_URL, HELPER_START_REASON, HELPER_START_URL, type HelperState } from "./helper-launch";
import { INITIAL_CONNECTION, nextConnectionState, retriesAutomatically, type ConnectionEvent, type ConnectionState } from "./connection";
import { DEFAULT_SETTINGS, FACE_RESTORE_PRESET, parseStoredSettings, withPreset, type PanelSettings } from "./settings";
import { upscaleActiveLayer, type JobPhase, type UpscaleSummary } from "./upscale-job";
import { EstimateFollower, estimateQuestion, type EstimateView } from "./estimate";

export const TOKEN_FILE = "token";
export const SETTINGS_FILE = "settings.json";

export interface ErrorView {
  readonly code: AnyErrorCode;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export type JobView =
  | { readonly status: "idle" }
  | { readonly status: "running"; readonly phase: JobPhase; readonly cancelling: boolean }
  | { readonly status: "done"; readonly summary: UpscaleSummary }
  | { readonly status: "failed"; readonly error: ErrorView }
  | { readonly status: "cancelled" };

export interface PanelState {
  readonly connection: ConnectionState;
  readonly settings: PanelSettings;
  readonly presets: readonly PresetSummary[];
  /** The face-restore models the daemon lists (brought with `models add`); the chooser shows only with one. */
  readonly faceRestoreModels: readonly ModelSummary[];
  /** The daemon's inference devices (feature `devices`); the chooser shows only with more than one. */
  readonly devices: readonly DeviceSummary[];
  /** The chosen device the daemon no longer has (DEVICE_UNKNOWN): jobs went back to its default. */
  readonly deviceLost?: { readonly code: "DEVICE_UNKNOWN"; readonly device: number };
  readonly limits?: Limits;
  readonly document?: DocumentInfo;
  readonly job: JobView;
  /** What the job would cost with the current document and settings, as the daemon predicts it. */
  readonly estimate?: EstimateView;
  /** When the next automatic connection attempt happens (ms since the epoch), if one is planned. */
  readonly retryAt?: number;
  /** Whether the panel asked the system to start the helper, and what came of it. */
  readonly helper?: HelperState;
}

export interface PanelModelOptions {
  readonly adapter: PhotoshopAdapter;
  readonly sockets: SocketFactory;
  readonly fetch: FetchLike;
  readonly modal?: ModalRetryOptions;
}

/** The panel's state and actions. */
export class PanelModel {
  readonly #options: PanelModelOptions;
  #state: PanelState = { connection: INITIAL_CONNECTION, settings: DEFAULT_SETTINGS, presets: [], faceRestoreModels: [], devices: [], job: { status: "idle" } };
  readonly #listeners = new Set<() => void>();
  #connection: DaemonConnection | undefined;
  #token: string | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  #job: JobHandle | undefined;
  #cancelRequested = false;
  #unwatch: (() => void) | undefined;
  #disposed = false;
  /** The helper's start link is opened once per outage, not on every retry. */
  #helperAsked = false;
  readonly #estimates = new EstimateFollower((estimate) => {
    if (estimate !== this.#state.estimate) this.#update({ estimate });
  });

  constructor(options: PanelModelOptions) {
    this.#options = options;
  }

  /** The current state (a new object after every change). */
  getState = (): PanelState => this.#state;

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Loads the stored token and settings, watches the document, and connects. */
  async start(): Promise<void> {
    const { adapter } = this.#options;
    this.#token = (await adapter.readData(TOKEN_FILE))?.trim() || undefined;
    this.#update({ settings: parseStoredSettings(await adapter.readData(SETTINGS_FILE)) });
    this.#unwatch = adapter.watchDocument(() => void this.refreshDocument());
    await this.refreshDocument();
    await this.connect();
  }

  /** Stops timers and closes the connection. */
  dispose(): void {
    this.#disposed = true;
    this.#generation++;
    clearTimeout(this.#retryTimer);
    this.#unwatch?.();
    this.#dropConnection();
  }

  /** Connects (again) now, cancelling any planned retry. */
  async connect(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const generation = ++this.#generation;
    this.#dropConnection();
    this.#dispatch({ type: "connect" });
    if (this.#state.connection.status !== "connecting") return;
    const address = this.#address();
    let connection: DaemonConnection;
    try {
      connection = await DaemonConnection.open(this.#options.sockets, address);
    } catch (error) {
      const probe = await probeHealth(this.#options.fetch, address);
      if (generation !== this.#generation) return;
      this.#dispatch({ type: "unreachable", probe, message: toPanelError(error).message });
      return;
    }
    if (generation !== this.#generation) {
      connection.close();
      return;
    }
    try {
      const welcome = await connection.hello(this.#token);
      if (generation !== this.#generation) return connection.close();
      this.#adopt(connection, welcome);
    } catch (error) {
      connection.close();
      if (generation !== this.#generation) return;
      const failure = toPanelError(error);
      this.#dispatch({ type: "rejected", code: failure.code, message: failure.message });
    }
  }

  /** Exchanges the code printed by `portrait-upscale pair` for the token, and keeps it. */
  async pair(code: string): Promise<void> {
    const trimmed = code.trim().replace(/^(\d{3})(\d{3})$/, "$1-$2");
    clearTimeout(this.#retryTimer);
    const generation = ++this.#generation;
    this.#dropConnection();
    this.#dispatch({ type: "pair" });
    if (!/^\d{3}-\d{3}$/.test(trimmed)) {
      this.#dispatch({ type: "rejected", code: "PAIRING_INVALID", message: `Expected a code like 123-456 for the pairing code but received "${code}"` });
      return;
    }
    const address = this.#address();
    try {
      const connection = await DaemonConnection.open(this.#options.sockets, address);
      try {
        const { token, welcome } = await connection.pair(trimmed);
        if (generation !== this.#generation) return connection.close();
        this.#token = token;
        await this.#options.adapter.writeData(TOKEN_FILE, token);
        this.#adopt(connection, welcome);
      } catch (error) {
        connection.close();
        throw error;
      }
    } catch (error) {
      if (generation !== this.#generation) return;
      const failure = toPanelError(error);
      this.#dispatch({ type: "rejected", code: failure.code, message: failure.message });
    }
  }

  /** The daemon's address from the settings (wss:// and https:// when `secure`). */
  #address(): DaemonAddress {
    const { host, port, secure } = this.#state.settings;
    return { host, port, ...(secure ? { secure: true } : {}) };
  }

  /**
   * Changes the daemon's address (custom port, or a studio machine, `secure` for one served
   * with TLS) and reconnects.
   */
  async setAddress(host: string, port: number, secure: boolean = this.#state.settings.secure): Promise<void> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new PanelError("INVALID_OPTION", `Expected an integer from 1 to 65535 for port but received ${port}`);
    }
    await this.#saveSettings({ ...this.#state.settings, host: host.trim() || DEFAULT_SETTINGS.host, port, secure });
    this.#update({ connection: { status: "connecting", attempt: 0 } });
    await this.connect();
  }

  /** Chooses a preset: its values replace the sliders'. */
  async choosePreset(id: string): Promise<void> {
    const preset = this.#state.presets.find((candidate) => candidate.id === id);
    if (!preset) return;
    await this.#saveSettings(withPreset(this.#state.settings, preset));
  }

  /** Changes one of the job's values (ignored for a locked preset). */
  async setValue<K extends "scale" | "creativity" | "resemblance" | "denoise" | "placement" | "review" | "faceRestore" | "faceRestoreStrength">(
    key: K,
    value: PanelSettings[K],
  ): Promise<void> {
    const locked = this.selectedPreset()?.locked === true;
    if (locked && key !== "placement" && key !== "review") return;
    await this.#saveSettings({ ...this.#state.settings, [key]: value });
  }

  /** Chooses the device jobs run on; the daemon's default device is stored as "the default", so it follows the daemon's. */
  async setDevice(device: number): Promise<void> {
    const listed = this.#state.devices.find((candidate) => candidate.id === device);
    if (!listed) return;
    this.#update({ deviceLost: undefined });
    await this.#saveSettings({ ...this.#state.settings, device: listed.default ? undefined : device });
  }

  /** The chosen device went away: back to the daemon's default, saying so. */
  async #forgetDevice(device: number): Promise<void> {
    this.#update({ deviceLost: { code: "DEVICE_UNKNOWN", device } });
    await this.#saveSettings({ ...this.#state.settings, device: undefined });
  }

  /** The preset the settings name, if the daemon offers it. */
  selectedPreset(): PresetSummary | undefined {
    return this.#state.presets.find((preset) => preset.id === this.#state.settings.presetId);
  }

  /** Reads the active document again (for the size readout and checks). */
  async refreshDocument(): Promise<void> {
    try {
      const document = await this.#options.adapter.activeDocument();
      this.#update({ document });
    } catch {
      this.#update({ document: undefined });
    }
    this.#refreshEstimate();
  }

  /** Asks the daemon again what the job would cost, when the document's size or the settings changed. */
  #refreshEstimate(): void {
    const connection = this.#state.connection.status === "connected" ? this.#connection : undefined;
    this.#estimates.follow(connection, connection ? estimateQuestion(this.#state.document, this.selectedPreset(), this.#state.settings) : undefined);
  }

  /** Upscales the active layer (or selection) into a new smart object layer. */
  async upscale(): Promise<void> {
    if (this.#state.job.status === "running") return;
    const connection = this.#connection;
    const preset = this.selectedPreset();
    if (!connection || this.#state.connection.status !== "connected" || !preset) {
      this.#update({ job: { status: "failed", error: errorView(new PanelError("NOT_CONNECTED")) } });
      return;
    }
    this.#cancelRequested = false;
    this.#dispatch({ type: "job-started" });
    this.#update({ job: { status: "running", phase: { phase: "reading" }, cancelling: false } });
    try {
      const summary = await upscaleActiveLayer(
        this.#options.adapter,
        connection,
        { preset, settings: this.#state.settings, ...(this.#state.limits ? { limits: this.#state.limits } : {}) },
        {
          onPhase: (phase) => {
            if (this.#state.job.status === "running") this.#update({ job: { ...this.#state.job, phase } });
          },
          onJob: (handle) => {
            this.#job = handle;
            if (this.#cancelRequested) handle.cancel();
          },
        },
        this.#options.modal,
      );
      this.#update({ job: { status: "done", summary } });
    } catch (error) {
      const failure = toPanelError(error);
      this.#update({ job: failure.code === "CANCELLED" ? { status: "cancelled" } : { status: "failed", error: errorView(failure) } });
      const device = this.#state.settings.device;
      if (failure.code === "DEVICE_UNKNOWN" && device !== undefined) await this.#forgetDevice(device);
    } finally {
      this.#job = undefined;
      this.#dispatch({ type: "job-finished" });
      await this.refreshDocument();
    }
  }

  /** Cancels the running job on the daemon. */
  cancel(): void {
    const job = this.#state.job;
    if (job.status !== "running" || job.cancelling) return;
    this.#cancelRequested = true;
    this.#update({ job: { ...job, cancelling: true } });
    this.#job?.cancel();
  }

  /** Opens the page where the helper is downloaded (when it is not installed). */
  async openDownloadPage(): Promise<void> {
    await this.#options.adapter.openExternal(HELPER_DOWNLOAD_URL, "Open the page where Portrait Upscale is downloaded.");
  }

  /** Clears a finished job's message. */
  dismissJob(): void {
    if (this.#state.job.status !== "running") this.#update({ job: { status: "idle" } });
  }

  /** Closes the current connection on purpose (its close is then not reported as a loss). */
  #dropConnection(): void {
    const old = this.#connection;
    this.#connection = undefined;
    old?.close();
  }

  #adopt(connection: DaemonConnection, welcome: NonNullable<DaemonConnection["welcome"]>): void {
    this.#connection = connection;
    connection.onClose(() => {
      if (this.#connection !== connection || this.#disposed) return;
      this.#connection = undefined;
      this.#dispatch({ type: "closed" });
    });
    const faceRestoreModels = welcome.models.filter((model) => model.role === "face-restore");
    // A face-restore model chosen earlier that this daemon does not have falls back to the preset's.
    const stored = this.#state.settings;
    const restoreKnown = !isUserModelRef(stored.faceRestore) || faceRestoreModels.some((model) => model.id === stored.faceRestore);
    const restored = restoreKnown ? stored : { ...stored, faceRestore: FACE_RESTORE_PRESET };
    // A device chosen earlier that this daemon does not list (or a daemon without the feature) falls back to its default.
    const devices = welcome.devices ?? [];
    const lostDevice = restored.device !== undefined && !devices.some((device) => device.id === restored.device) ? restored.device : undefined;
    const settings = lostDevice === undefined ? restored : { ...restored, device: undefined };
    const known = welcome.presets.find((preset) => preset.id === settings.presetId);
    const fallback = welcome.presets.find((preset) => preset.id === welcome.defaultPreset) ?? welcome.presets[0];
    this.#update({ presets: welcome.presets, faceRestoreModels, devices, limits: welcome.limits, settings });
    if (lostDevice !== undefined) this.#update({ deviceLost: { code: "DEVICE_UNKNOWN", device: lostDevice } });
    if (!known && fallback) void this.#saveSettings(withPreset(settings, fallback));
    else if (lostDevice !== undefined) void this.#saveSettings(known?.locked ? withPreset(settings, known) : settings);
    else if (known) this.#update({ settings: known.locked ? withPreset(settings, known) : settings });
    this.#dispatch({
      type: "welcome",
      daemon: { version: welcome.daemonVersion, provider: welcome.providers.active, providers: welcome.providers.available },
    });
    this.#estimates.reset();
    this.#refreshEstimate();
  }

  async #saveSettings(settings: PanelSettings): Promise<void> {
    this.#update({ settings });
    this.#refreshEstimate();
    await this.#options.adapter.writeData(SETTINGS_FILE, JSON.stringify(settings));
  }

  #dispatch(event: ConnectionEvent): void {
    const next = nextConnectionState(this.#state.connection, event);
    if (next === this.#state.connection) return;
    const retry = retriesAutomatically(next.status) && next.retryInMs !== undefined && !this.#disposed;
    const connected = next.status === "connected";
    if (connected) this.#helperAsked = false;
    // Without a daemon there is nobody to ask: an old estimate would mislead.
    const estimating = connected || next.status === "busy";
    if (!estimating) this.#estimates.reset();
    this.#update({
      connection: next,
      retryAt: retry ? Date.now() + next.retryInMs! : undefined,
      ...(connected ? { helper: undefined } : {}),
      ...(estimating ? {} : { estimate: undefined }),
    });
    if (next.status === "daemon-not-running" && !this.#helperAsked && !this.#disposed) {
      this.#helperAsked = true;
      void this.#startHelper();
    }
    if (retry) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => void this.connect(), next.retryInMs);
    }
  }

  /** Opens the helper's start link; the usual retries then find the daemon. */
  async #startHelper(): Promise<void> {
    const opened = await this.#options.adapter.openExternal(HELPER_START_URL, HELPER_START_REASON).catch(() => false);
    if (this.#disposed || this.#state.connection.status === "connected") return;
    // A daemon that ran in this session and stopped was installed (or started by hand): no advice to install it.
    if (!opened && this.#state.connection.lost) return;
    this.#update({ helper: opened ? "starting" : "not-installed" });
  }

  #update(patch: Partial<PanelState>): void {
    this.#state = { ...this.#state, ...patch };
    for (const listener of this.#listeners) listener();
  }
}

function errorView(error: PanelError): ErrorView {
  return { code: error.code, message: error.message, data: error.data };
}

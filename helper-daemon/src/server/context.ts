/**
 * What the HTTP and WebSocket front ends share: the config, the token and pairing, the job
 * engine, and the catalog (providers, models, presets) the daemon reports.
 */
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_WINDOW,
  MAX_TEXT_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type DeviceSummary,
  type Estimate,
  type Health,
  type Info,
  type JobEvent as WireJobEvent,
  type JobStatus,
  type ModelSummary,
  type PresetSummary,
} from "@portrait-upscale/shared";
import type { ClientTokens } from "../clients/client-tokens";
import type { DaemonConfig } from "../config/config";
import type { Logger } from "../config/log";
import { VERSION } from "../cli/version";
import type { JobEngine } from "../jobs/engine";
import type { JobOptions } from "../jobs/types";
import type { ConnectionGuard, NetworkLimits } from "./connections";
import type { UploadBudget } from "./limits";
import type { Pairing } from "./pairing";
import type { RefusalLog } from "./refusal-log";

/** The daemon's view of the product: filled from the inference module, the models manifest and the preset store. */
export interface DaemonCatalog {
  providers(): { available: string[]; active: string };
  models(): ModelSummary[];
  presets(): PresetSummary[];
  defaultPreset(): string;
  /** The inference devices jobs can run on; exactly one is the default. */
  devices(): DeviceSummary[];
  /**
   * Checks a job's options before any pixel is read (unknown or locked preset, bad override,
   * DEVICE_UNKNOWN) and returns the output scale the job will produce, for the output-size
   * limit, and the device it runs on.
   */
  checkOptions(options: JobOptions): { scale: number; device: number };
  /**
   * The cost model's prediction for a job with `options` on a `width`×`height` image (the
   * same function as the CLI's estimate); throws like {@link checkOptions}.
   */
  estimate(options: JobOptions, width: number, height: number): Estimate;
}

export interface DaemonContext {
  readonly config: DaemonConfig;
  readonly token: string;
  /** Named per-client tokens (`portrait-upscale tokens`), when the daemon accepts them. */
  readonly clientTokens?: ClientTokens;
  readonly engine: JobEngine;
  readonly pairing: Pairing;
  readonly catalog: DaemonCatalog;
  readonly logger: Logger;
  /** Bytes of uploads in progress, across all clients. */
  readonly uploads: UploadBudget;
  /** `Host` header values accepted (filled once the port is known). */
  readonly allowedHosts: Set<string>;
  /** The chunk size offered for WebSocket transfers. */
  readonly chunkBytes: number;
  readonly window: number;
  readonly network: NetworkLimits;
  /** Every open connection, with the caps and which have authenticated. */
  readonly connections: ConnectionGuard;
  readonly refusals: RefusalLog;
}

/** `GET /v1/health`. */
export function healthOf(): Health {
  return { name: "portrait-upscale", version: VERSION, protocol: PROTOCOL_VERSION };
}

/** `GET /v1/info` and the `welcome` message's body. */
export function infoOf(context: DaemonContext): Info {
  const { catalog, config } = context;
  return {
    protocol: PROTOCOL_VERSION,
    daemonVersion: VERSION,
    providers: catalog.providers(),
    models: catalog.models(),
    presets: catalog.presets(),
    defaultPreset: catalog.defaultPreset(),
    limits: {
      maxInputPixels: config.limits.maxInputPixels,
      maxOutputPixels: config.limits.maxOutputPixels,
      maxChunkBytes: context.chunkBytes,
      maxTextMessageBytes: MAX_TEXT_MESSAGE_BYTES,
      window: context.window,
      maxQueuedJobs: config.limits.maxJobsPerClient,
      resultTtlSeconds: Math.round(config.resultRetentionSeconds),
    },
  };
}

/** The chunk size to offer: the protocol's default, within the configured message limit. */
export function chunkBytesFor(config: DaemonConfig): number {
  return Math.max(1024, Math.min(DEFAULT_CHUNK_BYTES, config.limits.maxMessageBytes - 64));
}

export { DEFAULT_WINDOW };

/**
 * A status as the `progress` message shared by the WebSocket and the event stream. A
 * WebSocket client without feature `estimate` (`withEstimate` false) gets the message it
 * knows: `tile`/`tiles` always (0 when uncounted), no `estimateSeconds`.
 */
export function progressEvent(status: JobStatus, withEstimate = true): Extract<WireJobEvent, { type: "progress" }> {
  const counted = status.tile !== undefined && status.tiles !== undefined;
  return {
    type: "progress",
    jobId: status.id,
    stage: status.stage ?? "queued",
    ...(counted || !withEstimate ? { tile: status.tile ?? 0, tiles: status.tiles ?? 0 } : {}),
    fraction: status.progress,
    etaSeconds: status.etaSeconds,
    ...(withEstimate && status.estimateSeconds !== undefined ? { estimateSeconds: status.estimateSeconds } : {}),
  };
}


/**
 * Test support: a test daemon on the real upscale service (an inference pool on the CPU, the
 * preset store, the catalog of installed models), as `serve` wires them, for tests that
 * compare its results with the command line's or read its reports.
 */
import { DEFAULT_CONFIG } from "../../src/config/config";
import { createInferencePool, type InferencePool } from "../../src/inference/index";
import { PresetStore, type PresetStoreOptions } from "../../src/presets/index";
import { createCatalog, modelSummaries } from "../../src/server/catalog";
import { createUpscaleRunner } from "../../src/server/upscale-runner";
import { imageLimitsOf } from "../../src/upscale/index";
import { startTestDaemon, type TestDaemon } from "../daemon/helpers";

export interface UpscaleTestDaemonOptions {
  /** Preset folders beside the built-in presets (never watched). */
  readonly presets?: Pick<PresetStoreOptions, "userDir" | "studioDir">;
  /** onnxruntime's threads per session (the pool's default when absent). */
  readonly intraOpThreads?: number;
  /** Daemon config over the test defaults (e.g. `resultSpillBytes: 0`). */
  readonly config?: Record<string, unknown>;
}

export interface UpscaleTestDaemon {
  readonly daemon: TestDaemon;
  readonly pool: InferencePool;
  readonly presets: PresetStore;
  /** Stops the daemon, closes the preset store and the pool; returns what the daemon left in its temporary root. */
  stop(): Promise<string[]>;
}

/**
 * Starts a daemon whose jobs run the real pipeline on the installed models, with the default
 * image limits. The models must be converted (`npm install`) and the pool's worker built.
 *
 * @example
 * const service = await startUpscaleDaemon({ presets: { studioDir }, config: { resultSpillBytes: 0 } });
 * const created = await fetch(`${service.daemon.url}/v1/jobs?preset=fast-preview`, { method: "POST", ... });
 * expect(await service.stop()).toEqual([]);
 */
export async function startUpscaleDaemon(options: UpscaleTestDaemonOptions = {}): Promise<UpscaleTestDaemon> {
  const pool = createInferencePool({ provider: "cpu", ...(options.intraOpThreads !== undefined ? { intraOpThreads: options.intraOpThreads } : {}) });
  const presets = await PresetStore.open({ ...options.presets, watch: "off" });
  const daemon = await startTestDaemon({
    runner: createUpscaleRunner(pool, presets, imageLimitsOf(DEFAULT_CONFIG)),
    catalog: createCatalog(pool, presets, await modelSummaries()),
    ...(options.config ? { config: options.config } : {}),
  });
  return {
    daemon,
    pool,
    presets,
    async stop() {
      const left = await daemon.stop();
      presets.close();
      await pool.close();
      return left;
    },
  };
}

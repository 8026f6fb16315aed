/**
 * `portrait-upscale worker --queue redis://HOST:PORT[/DB]`: one GPU machine of a studio's pool.
 * Takes batch jobs until Ctrl-C (or SIGTERM), then finishes the jobs in flight and stops.
 */
import { hostname } from "node:os";
import { invalidParameter } from "@portrait-upscale/shared";
import { createInferencePool, currentPlatformFacts, selectProvider } from "../../inference/index";
import { connectRedis, parseQueueUrl } from "../../queue/connection";
import { advertiseDevices } from "../../queue/devices";
import { machineGpus, unlistedDeviceName } from "../../server/devices";
import { startQueueWorker } from "../../queue/worker";
import { imageLimitsOf } from "../../upscale/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { DEVICE_OPTIONS, openRecipeEnvironment, poolOptionsOf } from "../request-options";

/**
 * The device ids of `--devices 0,1` (one inference pool and one job lane per id), else the one
 * `--device`, else every GPU `machine` has (0 when it lists none). Each device takes
 * `--concurrency` jobs at once.
 */
export function workerDevices(values: Readonly<Record<string, unknown>>, single: number | undefined, machine: readonly number[] = []): number[] {
  if (values.devices === undefined) return single !== undefined ? [single] : machine.length > 0 ? [...machine].sort((a, b) => a - b) : [0];
  if (values.device !== undefined) throw invalidParameter("either --device N or --devices LIST, not both", "--devices", values.devices);
  const text = String(values.devices);
  const ids = text.split(",").map((part) => Number(part.trim()));
  const valid = /^\s*\d+\s*(,\s*\d+\s*)*$/.test(text) && ids.every((id) => id <= 64) && new Set(ids).size === ids.length;
  if (!valid) throw invalidParameter("distinct device ids from 0 to 64 separated by commas, such as 0,1", "--devices", values.devices);
  return ids;
}

function integerFlag(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(Number.isInteger(number) && number >= min && number <= max)) throw invalidParameter(`an integer from ${min} to ${max}`, name, value);
  return number;
}

export const workerCommand: CliCommand = {
  name: "worker",
  summary: "Take batch jobs from a studio queue (BullMQ on Redis) and run them on this machine.",
  usage: ["worker --queue redis://HOST:PORT[/DB] [--devices LIST] [--concurrency N] [--lock-seconds N] [--name NAME] [--provider P] [--threads N]"],
  details: [
    "Runs until Ctrl-C or SIGTERM, then finishes the jobs in flight. Inputs and outputs are paths on",
    "the studio's shared folder, mounted at the same path on every machine (SHARED_PATH_MISSING",
    "otherwise). Presets come from this machine's config (studioPresetFolder): a job whose preset",
    "resolves to other values here is refused with PRESET_MISMATCH. A worker that dies mid-job loses",
    "its lock; after --lock-seconds another worker takes the job again. Outputs appear by rename only,",
    "so a retried job never leaves a partial file or a duplicate. If Redis goes away the worker says",
    "so once, waits and reconnects. It runs one pool per GPU it has (warm sessions on each), or on",
    "those --devices 0,1 names, each taking --concurrency jobs at once, and advertises them: `serve",
    "--queue` lists them and sends a job that names one to it. batch.json names the device that ran each file.",
  ].join("\n"),
  options: {
    queue: { type: "string", valueName: "URL", description: "redis://HOST:PORT[/DB] or rediss://… (TLS)." },
    concurrency: { type: "string", valueName: "N", description: "Jobs at once per device (default: config concurrency)." },
    devices: { type: "string", valueName: "LIST", description: "GPU ids to take jobs on, e.g. 0,1 (default: --device, else every GPU of the provider)." },
    "lock-seconds": { type: "string", valueName: "N", description: "How long a job stays locked without renewal (default 30)." },
    name: { type: "string", valueName: "NAME", description: "This worker's name in batch reports (default: host name and process id)." },
    ...DEVICE_OPTIONS,
  },
  async run(context) {
    const { values } = context;
    if (values.queue === undefined) throw invalidParameter("a queue URL (--queue redis://HOST:PORT[/DB])", "--queue", undefined);
    const queueUrl = parseQueueUrl(values.queue);
    const lockMs = integerFlag(values["lock-seconds"], "--lock-seconds", 1, 3600, 30) * 1000;
    const poolOptions = poolOptionsOf(values);
    const environment = await openRecipeEnvironment(context);
    const concurrency = integerFlag(values.concurrency, "--concurrency", 1, 64, environment.config.concurrency);
    const name = typeof values.name === "string" && values.name !== "" ? values.name : `${hostname()}:${process.pid}`;
    const log = (line: string): void => void context.stderr.write(`${line}\n`);
    const provider = selectProvider(poolOptions.provider ?? "auto", currentPlatformFacts());
    const gpus = await machineGpus(context.env, provider);
    const devices = workerDevices(values, poolOptions.device, gpus.map((gpu) => gpu.index));
    // One pool per device: its sessions stay warm on that GPU, and its jobs queue only behind its own.
    const pools = devices.map((device) => createInferencePool({ ...poolOptions, device }));
    const connection = connectRedis(queueUrl, { log });
    let advert: { stop(): Promise<void> } | undefined;
    try {
      const workers = await Promise.all(
        devices.map((device, index) =>
          startQueueWorker({
            connection,
            pool: pools[index],
            device,
            presets: environment.presets,
            limits: imageLimitsOf(environment.config),
            concurrency,
            lockMs,
            name,
            log,
          }),
        ),
      );
      advert = await advertiseDevices(
        connection,
        name,
        devices.map((id) => {
          const gpu = gpus.find((entry) => entry.index === id);
          return { id, provider: pools[0].provider, name: gpu?.name || unlistedDeviceName(pools[0].provider, id), ...(gpu?.memoryBytes !== undefined ? { memoryBytes: gpu.memoryBytes } : {}) };
        }),
      );
      log(`Worker ${name} taking jobs from ${queueUrl.display} (device ${devices.join(", ")}; concurrency ${concurrency} per device). Press Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve();
        else context.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      log("Stopping: finishing the jobs in flight...");
      await advert.stop();
      advert = undefined;
      await Promise.all(workers.map((worker) => worker.close()));
      log("Stopped.");
      return EXIT_CODES.ok;
    } finally {
      await advert?.stop();
      connection.disconnect();
      environment.presets.close();
      await Promise.all(pools.map((pool) => pool.close()));
    }
  },
};

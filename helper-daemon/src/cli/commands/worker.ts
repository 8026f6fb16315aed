/**
 * `portrait-upscale worker --queue redis://HOST:PORT[/DB]`: one GPU machine of a studio's pool.
 * Takes batch jobs until Ctrl-C (or SIGTERM), then finishes the jobs in flight and stops.
 */
import { hostname } from "node:os";
import { invalidParameter } from "@portrait-upscale/shared";
import { createInferencePool } from "../../inference/index";
import { connectRedis, parseQueueUrl } from "../../queue/connection";
import { startQueueWorker } from "../../queue/worker";
import { imageLimitsOf } from "../../upscale/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { DEVICE_OPTIONS, openRecipeEnvironment, poolOptionsOf } from "../request-options";

function integerFlag(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!(Number.isInteger(number) && number >= min && number <= max)) throw invalidParameter(`an integer from ${min} to ${max}`, name, value);
  return number;
}

export const workerCommand: CliCommand = {
  name: "worker",
  summary: "Take batch jobs from a studio queue (BullMQ on Redis) and run them on this machine.",
  usage: ["worker --queue redis://HOST:PORT[/DB] [--concurrency N] [--lock-seconds N] [--name NAME] [--provider P] [--threads N]"],
  details: [
    "Runs until Ctrl-C or SIGTERM, then finishes the jobs in flight. Inputs and outputs are paths on",
    "the studio's shared folder, mounted at the same path on every machine (SHARED_PATH_MISSING",
    "otherwise). Presets come from this machine's config (studioPresetFolder): a job whose preset",
    "resolves to other values here is refused with PRESET_MISMATCH. A worker that dies mid-job loses",
    "its lock; after --lock-seconds another worker takes the job again. Outputs appear by rename only,",
    "so a retried job never leaves a partial file or a duplicate. If Redis goes away the worker says",
    "so once, waits and reconnects.",
  ].join("\n"),
  options: {
    queue: { type: "string", valueName: "URL", description: "redis://HOST:PORT[/DB] or rediss://… (TLS)." },
    concurrency: { type: "string", valueName: "N", description: "Jobs at once on this machine (default: config concurrency)." },
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
    const pool = createInferencePool(poolOptions);
    const connection = connectRedis(queueUrl, { log });
    try {
      const worker = await startQueueWorker({
        connection,
        pool,
        presets: environment.presets,
        limits: imageLimitsOf(environment.config),
        concurrency,
        lockMs,
        name,
        log,
      });
      log(`Worker ${name} taking jobs from ${queueUrl.display} (concurrency ${concurrency}). Press Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve();
        else context.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      log("Stopping: finishing the jobs in flight...");
      await worker.close();
      log("Stopped.");
      return EXIT_CODES.ok;
    } finally {
      connection.disconnect();
      environment.presets.close();
      await pool.close();
    }
  },
};

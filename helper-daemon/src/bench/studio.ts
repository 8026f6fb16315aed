/**
 * Studio throughput: images per minute for a local batch and for one and two queue workers on
 * a private redis-server, and the queue's overhead per job. The configurations alternate over
 * rounds (medians), so a machine shared with other work slows them alike.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BatchItem } from "../batch/inputs";
import { processFile } from "../batch/process-file";
import { runBatch, type BatchExecutor } from "../batch/run-batch";
import { DEFAULT_CONFIG } from "../config/config";
import { encodeImage } from "../image/codec";
import { createInferencePool } from "../inference/index";
import { PresetStore } from "../presets/index";
import { queueExecutor } from "../queue/client";
import { startPrivateRedis, type PrivateRedis } from "../queue/private-redis";
import { imageLimitsOf, requestSettings, type UpscaleRequest } from "../upscale/index";
import { median } from "../image/statistics";
import { installed, portrait } from "./fixtures";
import type { BenchSection } from "./section";

const PRESET = "fast-preview";
const IMAGES = 6;
const SIZE = 48;
const ROUNDS = 2;

/** Starts a child and resolves once its output contains `ready`. */
function startUntil(command: string, args: readonly string[], ready: string, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes(ready)) resolve(child);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}): ${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export const studioSection: BenchSection = {
  name: "studio",
  summary: `Images per minute (${IMAGES} × ${SIZE}² portraits, preset ${PRESET}, CPU): a local batch, 1 and 2 queue workers; queue overhead per job.`,
  async run(context) {
    if (!installed("realesrgan-x4fast") || !installed("esrgan-thick-x2")) {
      context.note("skipped: the fast-preview models are not installed");
      return;
    }
    const work = await mkdtemp(join(tmpdir(), "pu-bench-studio-"));
    const children: ChildProcess[] = [];
    let redis: PrivateRedis | undefined;
    const pool = createInferencePool({ provider: "cpu" });
    try {
      const items: BatchItem[] = [];
      for (let index = 0; index < IMAGES; index++) {
        const input = join(work, `in-${index}.png`);
        const image = await portrait(SIZE + 2 * index);
        await writeFile(input, await encodeImage(image, { format: "png", bitDepth: 8, channels: 3 }));
        items.push({ input, relative: `in-${index}.png`, output: "" });
      }
      const presets = await PresetStore.open({ watch: "off" });
      const settings = requestSettings(presets, { preset: PRESET });
      presets.close();
      const request: Omit<UpscaleRequest, "image"> = { settings, review: false, limits: imageLimitsOf(DEFAULT_CONFIG) };
      const timeBatch = async (runItems: readonly BatchItem[], execute: BatchExecutor, concurrency: number): Promise<number> => {
        const started = performance.now();
        const { entries } = await runBatch(runItems, execute, { overwrite: true, concurrency });
        if (entries.some((entry) => entry.status !== "done")) throw new Error(`bench batch failed: ${JSON.stringify(entries.find((entry) => entry.status !== "done"))}`);
        return performance.now() - started;
      };
      // Every run writes a folder of its own: queue jobs are identified by their output, and a
      // worker does not redo an output it has already made.
      let runs = 0;
      const nextRun = async (): Promise<{ outDir: string; runItems: BatchItem[] }> => {
        const outDir = join(work, `out-${runs++}`);
        // Like the batch command: workers check that the output folder exists on the share.
        await mkdir(outDir);
        return { outDir, runItems: items.map((item) => ({ ...item, output: join(outDir, item.relative) })) };
      };
      const local = async (): Promise<number> => {
        const { outDir, runItems } = await nextRun();
        return timeBatch(runItems, (item, onProgress) => processFile({ ...item, outDir, request }, pool, { onProgress }), 1);
      };
      await local();

      const cli = join(dirname(fileURLToPath(import.meta.url)), "cli.js");
      redis = await startPrivateRedis().catch(() => undefined);
      if (!redis) context.note("redis-server is not installed: the queue rows are skipped (apt-get install redis-server)");
      const redisReady = redis !== undefined;
      const url = redis?.url ?? "";
      const env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(work, "config") };
      const startWorker = async (name: string): Promise<ChildProcess> => {
        const child = await startUntil(process.execPath, [cli, "worker", "--queue", url, "--name", name, "--provider", "cpu"], "taking jobs", env);
        children.push(child);
        return child;
      };
      const onQueue = async (): Promise<number> => {
        const { outDir, runItems } = await nextRun();
        const queue = await queueExecutor(url, { flags: { preset: PRESET }, settings, request, outDir, log: () => undefined });
        try {
          return await timeBatch(runItems, queue.execute, IMAGES);
        } finally {
          await queue.close();
        }
      };
      const times: Record<string, number[]> = { local: [], one: [], two: [] };
      for (let round = 0; round < ROUNDS; round++) {
        times.local.push(await local());
        if (!redisReady) continue;
        const first = await startWorker("bench-1");
        // Warm the new workers' sessions first: a pool's workers stay up between batches.
        await onQueue();
        times.one.push(await onQueue());
        const second = await startWorker("bench-2");
        await onQueue();
        times.two.push(await onQueue());
        await Promise.all([stop(first), stop(second)]);
      }
      const perMinute = (ms: number): string => ((IMAGES / ms) * 60_000).toFixed(1);
      const rows = [["local batch (this process, warm)", perMinute(median(times.local)), (median(times.local) / IMAGES).toFixed(0), "-"]];
      if (redisReady) {
        const overhead = (median(times.one) - median(times.local)) / IMAGES;
        rows.push(["queue, 1 worker", perMinute(median(times.one)), (median(times.one) / IMAGES).toFixed(0), overhead.toFixed(0)]);
        rows.push(["queue, 2 workers", perMinute(median(times.two)), (median(times.two) / IMAGES).toFixed(0), "-"]);
      }
      context.table(`Studio batch throughput (median of ${ROUNDS} rounds)`, ["configuration", "images/min", "ms/image", "queue overhead ms/job"], rows);
      context.note("Workers are separate processes on this machine, sharing its cores with each other and with the batch.");
    } finally {
      for (const child of children) await stop(child);
      await redis?.stop();
      await pool.close();
      await rm(work, { recursive: true, force: true });
    }
  },
};

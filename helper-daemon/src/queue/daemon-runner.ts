/**
 * `serve --queue redis://…`: the daemon's {@link JobRunner} that forwards each panel or GIMP
 * job to the studio's workers instead of running it here. The job engine still queues,
 * retains and delivers results, so clients speak the same protocol and see the same
 * progress; only the pixels are made elsewhere.
 */
import { Queue, QueueEvents } from "bullmq";
import { PortraitError, type ErrorPayload } from "@portrait-upscale/shared";
import type { JobInput, JobOutput, JobRunContext, JobRunner } from "../jobs/types";
import type { PresetStore } from "../presets/index";
import { JOB_STAGE, jobOutputOf, settingsForJob } from "../server/upscale-runner";
import { settingsHash, type UpscaleStage } from "../upscale/index";
import { QUEUE_NAME, connectRedis, type QueueUrl } from "./connection";
import { finishedRequestOf, inlineImage, type InlineJobData, type InlineJobResult } from "./inline";

export interface QueueRunner extends JobRunner {
  close(): Promise<void>;
}

function errorOf(reason: string): PortraitError {
  try {
    const payload = JSON.parse(reason) as ErrorPayload;
    if (typeof payload.code === "string") return new PortraitError(payload.code, payload.message, payload.data ? { ...payload.data } : undefined);
  } catch {
    // Not one of our payloads: BullMQ's own reason (stalled too often).
  }
  return new PortraitError("INFERENCE_FAILED", `The studio's workers could not finish the job: ${reason}`);
}

/** A runner that sends jobs to the queue at `queueUrl`; `close()` when the daemon stops. */
export async function createQueueRunner(queueUrl: QueueUrl, presets: PresetStore, log: (line: string) => void): Promise<QueueRunner> {
  const connection = connectRedis(queueUrl, { log });
  const eventsConnection = connectRedis(queueUrl, { log: () => undefined });
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
  queue.on("error", () => undefined);
  events.on("error", () => undefined);
  const followers = new Map<string, JobRunContext>();
  events.on("progress", ({ jobId, data }) => {
    const progress = data as { stage?: UpscaleStage; progress?: number };
    const context = followers.get(jobId);
    if (context && typeof progress?.progress === "number") context.onProgress({ stage: JOB_STAGE[progress.stage ?? "upscale"] ?? "upscale", progress: progress.progress });
  });
  await events.waitUntilReady();

  return {
    async run(input: JobInput, context: JobRunContext): Promise<JobOutput> {
      const settings = settingsForJob(presets, input.options);
      // The studio's workers choose their own devices (`worker --devices`).
      const { review, device: _device, ...options } = input.options;
      const image = input.image.kind === "raw" ? { kind: "raw" as const, bytes: input.image.bytes, header: input.image } : { kind: "encoded" as const, bytes: input.image.bytes };
      const data: InlineJobData = {
        version: 1,
        image: inlineImage(image),
        options,
        settingsHash: settingsHash(settings, input.format),
        ...(input.format !== undefined ? { format: input.format } : {}),
        review: review === true,
      };
      context.onProgress({ stage: "queued", progress: 0 });
      const job = await queue.add("inline", data, { attempts: 3, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 3600 } });
      followers.set(job.id!, context);
      const abort = new Promise<never>((_resolve, reject) => {
        const onAbort = (): void => {
          void job.remove().catch(() => undefined);
          reject(new PortraitError("CANCELLED"));
        };
        if (context.signal.aborted) onAbort();
        else context.signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        const answer = (await Promise.race([job.waitUntilFinished(events), abort])) as InlineJobResult;
        return jobOutputOf(finishedRequestOf(answer));
      } catch (error) {
        if (error instanceof PortraitError) throw error;
        throw errorOf(error instanceof Error ? error.message : String(error));
      } finally {
        followers.delete(job.id!);
      }
    },
    async close() {
      await events.close();
      await queue.close();
      connection.disconnect();
      eventsConnection.disconnect();
    },
  };
}

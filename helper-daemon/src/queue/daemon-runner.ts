/**
 * `serve --queue redis://…`: the daemon's {@link JobRunner} that forwards each panel or GIMP
 * job to the studio's workers instead of running it here. The job engine still queues,
 * retains and delivers results, so clients speak the same protocol and see the same
 * progress; only the pixels are made elsewhere.
 */
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { PortraitError, type DeviceSummary, type ErrorPayload } from "@portrait-upscale/shared";
import type { JobInput, JobOutput, JobRunContext, JobRunner } from "../jobs/types";
import type { PresetStore } from "../presets/index";
import { JOB_STAGE, jobOutputOf, settingsForJob } from "../server/upscale-runner";
import { settingsHash, type UpscaleStage } from "../upscale/index";
import { QUEUE_NAME, connectRedis, type QueueUrl } from "./connection";
import { advertisedDevices, deviceQueueName } from "./devices";
import { finishedRequestOf, inlineImage, type InlineJobData, type InlineJobResult } from "./inline";

export interface QueueRunner extends JobRunner {
  /** The devices the studio's live workers serve (read again every few seconds); empty when none is up. */
  devices(): DeviceSummary[];
  close(): Promise<void>;
}

/** How often the workers' device list is read again: a worker started later appears within this. */
const DEVICES_REFRESH_MS = 3_000;

/** One BullMQ queue the daemon sends to, with the events it follows its jobs by. */
interface Lane {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly eventsConnection: Redis;
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

/**
 * A runner that sends jobs to the queue at `queueUrl` (a job that names a device to that
 * device's queue); `preferredDevice` is the listed default when a worker serves it. `close()`
 * when the daemon stops.
 */
export async function createQueueRunner(queueUrl: QueueUrl, presets: PresetStore, log: (line: string) => void, preferredDevice = 0): Promise<QueueRunner> {
  const connection = connectRedis(queueUrl, { log });
  const followers = new Map<string, JobRunContext>();
  const lanes = new Map<string, Promise<Lane>>();
  const laneFor = (name: string): Promise<Lane> => {
    let lane = lanes.get(name);
    if (lane === undefined) {
      lane = openLane(queueUrl, name, connection, followers);
      lanes.set(name, lane);
    }
    return lane;
  };
  await laneFor(QUEUE_NAME);
  let devices: DeviceSummary[] = await advertisedDevices(connection, preferredDevice);
  const refresh = setInterval(() => {
    advertisedDevices(connection, preferredDevice).then(
      (found) => void (devices = found),
      () => undefined,
    );
  }, DEVICES_REFRESH_MS);
  refresh.unref();

  return {
    devices: () => devices.map((device) => ({ ...device })),
    async run(input: JobInput, context: JobRunContext): Promise<JobOutput> {
      const settings = settingsForJob(presets, input.options);
      // A job that names a device waits for a worker on it; the rest go to any worker's device.
      const { review, device, ...options } = input.options;
      const { queue, events } = await laneFor(device === undefined ? QUEUE_NAME : deviceQueueName(device));
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
      const follower = followerKey(queue.name, job.id!);
      followers.set(follower, context);
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
        followers.delete(follower);
      }
    },
    async close() {
      clearInterval(refresh);
      for (const lane of await Promise.all(lanes.values())) {
        await lane.events.close();
        await lane.queue.close();
        lane.eventsConnection.disconnect();
      }
      connection.disconnect();
    },
  };
}

/** Who follows job `jobId` of queue `queue`: BullMQ numbers each queue's jobs on its own. */
function followerKey(queue: string, jobId: string): string {
  return `${queue}/${jobId}`;
}

/** Opens queue `name` and passes its jobs' progress to their `followers`. */
async function openLane(queueUrl: QueueUrl, name: string, connection: Redis, followers: ReadonlyMap<string, JobRunContext>): Promise<Lane> {
  // QueueEvents blocks on its connection, so each has its own.
  const eventsConnection = connectRedis(queueUrl, { log: () => undefined });
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection: eventsConnection });
  queue.on("error", () => undefined);
  events.on("error", () => undefined);
  events.on("progress", ({ jobId, data }) => {
    const progress = data as { stage?: UpscaleStage; progress?: number };
    const context = followers.get(followerKey(name, jobId));
    if (context && typeof progress?.progress === "number") context.onProgress({ stage: JOB_STAGE[progress.stage ?? "upscale"] ?? "upscale", progress: progress.progress });
  });
  await events.waitUntilReady();
  return { queue, events, eventsConnection };
}

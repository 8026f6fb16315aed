/**
 * The devices the studio's workers serve. Each worker keeps one short-lived Redis key per device
 * it takes jobs on, so `serve --queue` offers every device some live worker has; a job that names
 * a device goes to that device's own queue, which only workers on that device take.
 */
import type { Redis } from "ioredis";
import { deviceSummarySchema, object, parse, string, type DeviceSummary } from "@portrait-upscale/shared";
import { QUEUE_NAME } from "./connection";

const ADVERTISED_PREFIX = `${QUEUE_NAME}:device:`;
/** A killed worker's devices disappear from the list this long after its last refresh. */
const ADVERTISED_TTL_SECONDS = 30;
const REFRESH_MS = 10_000;

/** One device a worker takes jobs on, as it advertises it: the protocol's summary, less the default the daemon chooses. */
export type AdvertisedDevice = Omit<DeviceSummary, "default">;

// Derived from the protocol's fields, so one added there is advertised and listed too.
const { default: _chosenByTheDaemon, ...advertisedFields } = deviceSummarySchema.shape;
const advertisementSchema = object({ ...advertisedFields, worker: string({ minLength: 1 }) }, { unknownFields: "drop" });

/** The BullMQ queue of the jobs that named device `id`; the shared queue takes the rest. */
export function deviceQueueName(id: number): string {
  return `${QUEUE_NAME}-device-${id}`;
}

/**
 * Advertises `devices` as worker `worker`'s until `stop()`, which withdraws them at once.
 * @example const advert = await advertiseDevices(redis, "gpu-1", [{ id: 0, provider: "cuda", name: "RTX 4090" }]);
 */
export async function advertiseDevices(connection: Redis, worker: string, devices: readonly AdvertisedDevice[]): Promise<{ stop(): Promise<void> }> {
  const keys = devices.map((device) => `${ADVERTISED_PREFIX}${worker}:${device.id}`);
  const write = async (): Promise<void> => {
    const batch = connection.multi();
    devices.forEach((device, index) => batch.set(keys[index], JSON.stringify({ ...device, worker }), "EX", ADVERTISED_TTL_SECONDS));
    await batch.exec();
  };
  await write();
  const timer = setInterval(() => void write().catch(() => undefined), REFRESH_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await connection.del(...keys).catch(() => undefined);
    },
  };
}

/**
 * Every device a live worker advertises, one entry per id (the workers sharing an id are named
 * in it). The default is `preferred` when listed, else the lowest id; empty when no worker is up.
 */
export async function advertisedDevices(connection: Redis, preferred: number): Promise<DeviceSummary[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await connection.scan(cursor, "MATCH", `${ADVERTISED_PREFIX}*`, "COUNT", 200);
    keys.push(...found);
    cursor = next;
  } while (cursor !== "0");
  const values = keys.length > 0 ? await connection.mget(...keys) : [];
  const byId = new Map<number, { device: AdvertisedDevice; workers: string[] }>();
  for (const value of values) {
    const advert = parsed(value);
    if (advert === undefined) continue;
    const { worker, ...device } = advert;
    const entry = byId.get(device.id) ?? { device, workers: [] };
    entry.workers.push(worker);
    byId.set(device.id, entry);
  }
  const ids = [...byId.keys()].sort((a, b) => a - b);
  const chosen = byId.has(preferred) ? preferred : ids[0];
  return ids.map((id) => {
    const { device, workers } = byId.get(id)!;
    return { ...device, name: `${device.name} (${workers.sort().join(", ")})`.slice(0, 120), default: id === chosen };
  });
}

/**
 * An advertisement as stored, without fields this release does not know; undefined for a key
 * another release (or anything else) wrote that does not fit.
 */
function parsed(value: string | null): (AdvertisedDevice & { readonly worker: string }) | undefined {
  if (value === null) return undefined;
  try {
    return parse(advertisementSchema, JSON.parse(value), "advertisement");
  } catch {
    return undefined;
  }
}

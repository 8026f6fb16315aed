import { afterEach, describe, expect, it, vi } from "vitest";
import { createInferencePool, type InferencePool } from "../inference/index";
import { DevicePools } from "./device-pools";

/** Short idle times, no memory pressure: the release is the idle timer's. */
const IDLE = { idleReleaseMs: 20, pressureCheckMs: 1_000_000, memoryPressure: () => false };

let pools: DevicePools | undefined;
afterEach(async () => {
  await pools?.close();
  pools = undefined;
});

/** CPU pools (their worker starts only on a first run), each with its `close` watched. */
function watchedPools(): { pools: DevicePools; made: { device: number; pool: InferencePool; closed: () => number }[] } {
  const made: { device: number; pool: InferencePool; closed: () => number }[] = [];
  const created = new DevicePools(
    (device) => {
      const pool = createInferencePool({ provider: "cpu", device });
      const close = vi.spyOn(pool, "close");
      made.push({ device, pool, closed: () => close.mock.calls.length });
      return pool;
    },
    0,
    IDLE,
  );
  return { pools: created, made };
}

async function until(check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries += 1) {
    if (tries > 500) throw new Error("the condition never held");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("one inference pool per device", () => {
  it("makes a device's pool on first use and hands the same one to later jobs", async () => {
    const watched = watchedPools();
    pools = watched.pools;
    expect(pools.devices).toEqual([]);
    const first = await pools.use(1, async (pool) => pool);
    const again = await pools.use(1, async (pool) => pool);
    expect(again).toBe(first);
    expect(pools.for(0)).not.toBe(first);
    expect(watched.made.map((entry) => entry.device)).toEqual([1, 0]);
  });

  it("closes another device's pool once no job has used it for the idle time, and makes it again for the next job", async () => {
    const watched = watchedPools();
    pools = watched.pools;
    await pools.use(0, async () => undefined);
    const released = await pools.use(1, async (pool) => pool);
    await until(() => watched.made[1].closed() === 1);
    expect(pools.devices).toEqual([0]);
    // The default device's pool outlived the same idle time.
    expect(watched.made[0].closed()).toBe(0);
    const next = await pools.use(1, async (pool) => pool);
    expect(next).not.toBe(released);
    expect(pools.devices).toEqual([0, 1]);
  });

  it("keeps a pool while any job uses it, and counts a failed job as done", async () => {
    const watched = watchedPools();
    pools = watched.pools;
    let finish = (): void => undefined;
    const long = pools.use(1, () => new Promise<void>((resolve) => (finish = resolve)));
    await expect(pools.use(1, async () => Promise.reject(new Error("model failed")))).rejects.toThrow("model failed");
    // Ten idle times pass while the long job still runs.
    await new Promise((resolve) => setTimeout(resolve, 10 * IDLE.idleReleaseMs));
    expect(watched.made[0].closed()).toBe(0);
    finish();
    await long;
    await until(() => watched.made[0].closed() === 1);
    expect(pools.devices).toEqual([]);
  });
});

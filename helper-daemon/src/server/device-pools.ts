/**
 * One inference pool per device, so jobs on different GPUs run at once and each GPU keeps its
 * own warm sessions. A pool is made the first time a job runs on its device (an
 * `InferencePool` starts its worker thread on its first run). Every pool gives its sessions
 * back when idle by its own warm-session policy (`inference/idle-release.ts`); a device other
 * than the default one is also closed by that policy once no job uses it, since its worker
 * thread holds that GPU's driver context; the next job there makes it again.
 */
import type { InferencePool } from "../inference/index";
import { IdleRelease, type IdleReleaseOptions } from "../inference/idle-release";

interface DevicePool {
  readonly pool: InferencePool;
  /** Jobs using the pool now. */
  users: number;
  readonly idle: IdleRelease;
}

export class DevicePools {
  readonly #pools = new Map<number, DevicePool>();

  /**
   * @param create makes the pool for a device (the same provider and options for every device).
   * @param defaultDevice the device of jobs that name none; its pool stays until {@link close}.
   * @param idle when a pool of another device that no job uses is closed (the warm-session policy by default).
   */
  constructor(
    private readonly create: (device: number) => InferencePool,
    readonly defaultDevice: number,
    private readonly idle: IdleReleaseOptions = {},
  ) {}

  /** The pool of `device`, made on first use (for the catalog and for a caller that holds it for good). */
  for(device: number): InferencePool {
    return this.#entry(device).pool;
  }

  /**
   * Runs `work` on the pool of `device`, made on first use; while it runs the pool is not
   * closed, and when the last user of a non-default device's pool is done its idle count starts.
   */
  async use<T>(device: number, work: (pool: InferencePool) => Promise<T>): Promise<T> {
    const entry = this.#entry(device);
    entry.users += 1;
    entry.idle.busy();
    try {
      return await work(entry.pool);
    } finally {
      entry.users -= 1;
      if (entry.users === 0 && device !== this.defaultDevice) entry.idle.idle();
    }
  }

  /** The devices whose pool is open now. */
  get devices(): number[] {
    return [...this.#pools.keys()].sort((a, b) => a - b);
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    const entries = [...this.#pools.values()];
    this.#pools.clear();
    for (const entry of entries) entry.idle.busy();
    await Promise.all(entries.map((entry) => entry.pool.close()));
  }

  #entry(device: number): DevicePool {
    let entry = this.#pools.get(device);
    if (entry === undefined) {
      const made: DevicePool = {
        pool: this.create(device),
        users: 0,
        idle: new IdleRelease(this.idle, () => {
          if (made.users > 0 || this.#pools.get(device) !== made) return;
          this.#pools.delete(device);
          void made.pool.close().catch(() => undefined);
        }),
      };
      entry = made;
      this.#pools.set(device, entry);
    }
    return entry;
  }
}

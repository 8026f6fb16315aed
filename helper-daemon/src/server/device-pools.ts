/**
 * One inference pool per device, so jobs on different GPUs run at once and each GPU keeps its
 * own warm sessions. A pool is made the first time a job runs on its device (an
 * `InferencePool` starts its worker thread on its first run) and gives its sessions back when
 * idle by the pool's own warm-session policy (`inference/idle-release.ts`).
 */
import type { InferencePool } from "../inference/index";

export class DevicePools {
  readonly #pools = new Map<number, InferencePool>();

  /**
   * @param create makes the pool for a device (the same provider and options for every device).
   * @param defaultDevice the device of jobs that name none.
   */
  constructor(
    private readonly create: (device: number) => InferencePool,
    readonly defaultDevice: number,
  ) {}

  /** The pool of `device`, made on first use. */
  for(device: number): InferencePool {
    let pool = this.#pools.get(device);
    if (pool === undefined) {
      pool = this.create(device);
      this.#pools.set(device, pool);
    }
    return pool;
  }

  /** The devices whose pool has been made so far. */
  get devices(): number[] {
    return [...this.#pools.keys()].sort((a, b) => a - b);
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
  }
}

/**
 * When a pool's warm sessions are given back: after idle time, or sooner when memory is short.
 * Sessions stay warm between the tiles of a job and between jobs (creating an x4plus session
 * costs about 0.5 s, see the warm-sessions bench).
 */
import { freemem } from "node:os";

/** Free memory below which an idle pool gives its sessions back (an x4plus session holds about 0.3 GB). */
export const LOW_FREE_MEMORY_BYTES = 1024 ** 3;
/** Idle time after which memory pressure is checked: long enough to span the gap between two tiles or two jobs of a batch. */
const PRESSURE_CHECK_MS = 5000;
const IDLE_RELEASE_MS = 10 * 60_000;

export interface IdleReleaseOptions {
  /** Warm sessions are released after this long without work; 10 minutes by default. */
  readonly idleReleaseMs?: number;
  /** Asked {@link pressureCheckMs} after the pool becomes idle: true releases at once. By default, less than {@link LOW_FREE_MEMORY_BYTES} free. */
  readonly memoryPressure?: () => boolean;
  /** Idle time before memory pressure is checked; 5 s by default. */
  readonly pressureCheckMs?: number;
}

/** Timers started when the pool becomes idle and stopped when work arrives. */
export class IdleRelease {
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor(
    private readonly options: IdleReleaseOptions,
    private readonly release: () => void,
  ) {}

  /** The pool has nothing to do: start counting. */
  idle(): void {
    this.busy();
    const pressure = setTimeout(() => {
      if ((this.options.memoryPressure ?? (() => freemem() < LOW_FREE_MEMORY_BYTES))()) this.fire();
    }, this.options.pressureCheckMs ?? PRESSURE_CHECK_MS);
    const idle = setTimeout(() => this.fire(), this.options.idleReleaseMs ?? IDLE_RELEASE_MS);
    for (const timer of [pressure, idle]) timer.unref();
    this.timers = [pressure, idle];
  }

  /** Work arrived (or the pool closes): stop counting. */
  busy(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  private fire(): void {
    this.busy();
    this.release();
  }
}

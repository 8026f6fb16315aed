/**
 * Test support: a real daemon for each test of a file, stopped after the test, which fails if
 * the daemon left anything in its temporary root.
 */
import { afterEach, expect } from "vitest";
import { startTestDaemon, type TestDaemon, type TestDaemonOptions } from "../daemon/helpers";

/** Starts this test's daemon (ephemeral loopback port, throwaway config folder and temporary root). */
export type StartDaemon = (options?: TestDaemonOptions) => Promise<TestDaemon>;

export interface DaemonPerTestOptions {
  /** Runs after each test before its daemons stop: drop the clients the test opened, so closing does not wait for them. */
  readonly beforeStop?: () => void;
}

/**
 * Registers the after-each stop in the calling test file and returns the function its tests
 * start their daemon with.
 *
 * @example
 * const startDaemon = daemonPerTest();
 * it("answers health", async () => {
 *   const daemon = await startDaemon({ config: { resultSpillBytes: 0 } });
 *   expect((await fetch(`${daemon.url}/v1/health`)).status).toBe(200);
 * });
 */
export function daemonPerTest(options: DaemonPerTestOptions = {}): StartDaemon {
  const running: TestDaemon[] = [];
  afterEach(async () => {
    options.beforeStop?.();
    const left: string[] = [];
    for (const daemon of running.splice(0)) left.push(...(await daemon.stop()));
    expect(left).toEqual([]);
  });
  return async (daemonOptions) => {
    const daemon = await startTestDaemon(daemonOptions);
    running.push(daemon);
    return daemon;
  };
}

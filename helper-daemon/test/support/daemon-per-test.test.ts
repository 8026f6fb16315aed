// daemonPerTest's promise to the tests that use it: each test's daemons are gone, with their
// folders, before the next test starts; `beforeStop` runs once after each test.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TestDaemon } from "../daemon/helpers";
import { daemonPerTest } from "./daemon-per-test";

let beforeStopCalls = 0;
const startDaemon = daemonPerTest({ beforeStop: () => (beforeStopCalls += 1) });
const earlier: TestDaemon[] = [];

async function answers(daemon: TestDaemon): Promise<boolean> {
  return fetch(`${daemon.url}/v1/health`).then(
    (response) => response.status === 200,
    () => false,
  );
}

describe("daemonPerTest", () => {
  it("starts as many daemons as a test asks for, each answering on its own port", async () => {
    const first = await startDaemon();
    const second = await startDaemon({ config: { resultSpillBytes: 0 } });
    earlier.push(first, second);
    expect(first.port).not.toBe(second.port);
    expect([await answers(first), await answers(second)]).toEqual([true, true]);
    expect(beforeStopCalls).toBe(0);
  });

  it("stopped the previous test's daemons and removed their folders, after beforeStop", async () => {
    expect(earlier).toHaveLength(2);
    for (const daemon of earlier) {
      expect(await answers(daemon)).toBe(false);
      expect([existsSync(daemon.configDir), existsSync(daemon.tempRoot)]).toEqual([false, false]);
    }
    expect(beforeStopCalls).toBe(1);
  });
});

/**
 * The fuzz suite: seeded fast-check generators (fuzz/cases.ts) of hostile HTTP requests, raw
 * byte streams, WebSocket upgrades, frames and protocol messages, slow senders, resets at
 * every stage and oversized declarations, authenticated and not, played over real sockets
 * against the daemon as users start it (`portrait-upscale serve`, a child process).
 *
 * The daemon lists two devices, so `device` values in jobs, estimates and queries meet a real
 * choice (one listed, one not, others out of range or of the wrong type).
 *
 * The property: the daemon process stays alive, health answers after every case, every error
 * answer carries a code from shared/src/errors.ts, and afterwards a normal job succeeds, no
 * file is left, and the daemon's memory is back near where it started.
 *
 * `npm test` plays 3,000 cases; `npm run fuzz -- 50000` (or PORTRAIT_UPSCALE_FUZZ_CASES) plays
 * more, PORTRAIT_UPSCALE_FUZZ_SEED picks another seed. The counts and memory are printed.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { isErrorCode } from "@portrait-upscale/shared";
import { DEVICES_ENV } from "../../src/server/devices";
import { waitFor } from "./helpers";
import { hostileCaseArb } from "./fuzz/cases";
import { play, readAnswers } from "./fuzz/wire";
import { REPOSITORY_ROOT, ServeProcess, alive } from "./serve-process";

const CASES = Number(process.env.PORTRAIT_UPSCALE_FUZZ_CASES ?? 3000);
const SEED = Number(process.env.PORTRAIT_UPSCALE_FUZZ_SEED ?? 20_261_207);
/** Cases played at once: hostile clients do not wait for each other. */
const CONCURRENCY = 6;
/** How long a case waits for the daemon's answer after its last byte. */
const ANSWER_WAIT_MS = 150;

/** Resident memory of a process in MiB (Linux: /proc). */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The job a user runs: a small portrait through x4fast, over HTTP; checks the result's size. */
async function normalJob(serve: ServeProcess): Promise<void> {
  const image = await readFile(join(REPOSITORY_ROOT, "test/fixtures/astronaut-face-64.png"));
  let id = "";
  // Jobs the fuzz cases started may still hold this client's queue for a moment.
  await waitFor(async () => {
    const created = await fetch(`${serve.url}/v1/jobs?model=x4fast&scale=2`, { method: "POST", headers: { ...serve.auth, "Content-Type": "image/png" }, body: image });
    const answer = await created.json();
    if (created.status === 429) return false;
    expect(created.status, JSON.stringify(answer)).toBe(202);
    id = answer.id;
    return true;
  }, 120_000, "room in the queue");
  let state = "queued";
  await waitFor(async () => {
    state = (await (await fetch(`${serve.url}/v1/jobs/${id}`, { headers: serve.auth })).json()).state;
    return state !== "queued" && state !== "running";
  }, 120_000, "the normal job");
  expect(state).toBe("done");
  const result = await fetch(`${serve.url}/v1/jobs/${id}/result`, { headers: serve.auth });
  const { width, height } = await sharp(Buffer.from(await result.arrayBuffer())).metadata();
  expect([width, height]).toEqual([128, 128]);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe.skipIf(process.platform !== "linux")("fuzz: the daemon under hostile traffic", () => {
  it(`stays alive, answers health and known codes, and recovers (${CASES} cases, seed ${SEED})`, async () => {
    // Two devices (the daemon's documented seam; each gets its own CPU pool), so hostile `device` values meet a real choice.
    const serve = await ServeProcess.start({ env: { [DEVICES_ENV]: JSON.stringify([{ index: 0, name: "first" }, { index: 1, name: "second" }]) } });
    let stopped = false;
    try {
      await normalJob(serve);
      const pid = serve.daemonPid()!;
      const rssBefore = rssMiB(pid);
      const cases = fc.sample(hostileCaseArb({ hostHeader: `127.0.0.1:${serve.port}`, token: serve.token, maxPauseMs: 15 }), { seed: SEED, numRuns: CASES });
      const kinds = new Map<string, number>();
      const codes = new Map<string, number>();
      const healthMs: number[] = [];
      const failures: string[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < cases.length && failures.length === 0) {
            const index = next++;
            const wireCase = cases[index];
            kinds.set(wireCase.kind, (kinds.get(wireCase.kind) ?? 0) + 1);
            const observed = readAnswers(await play(serve.port, wireCase, ANSWER_WAIT_MS));
            for (const code of observed.codes) {
              codes.set(code, (codes.get(code) ?? 0) + 1);
              if (!isErrorCode(code)) failures.push(`case ${index} (${wireCase.kind}): unknown code ${JSON.stringify(code)}`);
            }
            for (const problem of observed.uncoded) failures.push(`case ${index} (${wireCase.kind}): ${problem}`);
            const asked = performance.now();
            const health = await fetch(`${serve.url}/v1/health`, { signal: AbortSignal.timeout(5000) }).catch((error: Error) => error);
            healthMs.push(performance.now() - asked);
            if (health instanceof Error || health.status !== 200) failures.push(`case ${index} (${wireCase.kind}): health did not answer (${String(health instanceof Error ? health.message : health.status)})`);
            else await health.arrayBuffer();
            if (!alive(pid)) failures.push(`case ${index} (${wireCase.kind}): the daemon process died`);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      expect(failures.slice(0, 10)).toEqual([]);
      await normalJob(serve);
      // Let finished connections and buffers go before measuring.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const rssAfter = rssMiB(pid);
      const sortedHealth = [...healthMs].sort((a, b) => a - b);
      const p99 = sortedHealth[Math.floor(sortedHealth.length * 0.99)];
      console.log(
        [
          `fuzz: ${cases.length} cases (seed ${SEED}) in ${seconds.toFixed(1)} s, ${CONCURRENCY} at a time`,
          `  by kind: ${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(", ")}`,
          `  codes answered: ${[...codes].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${code} ${count}`).join(", ")}`,
          `  health after each case: median ${median(healthMs).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sortedHealth.at(-1)?.toFixed(1)} ms`,
          `  daemon RSS: ${rssBefore.toFixed(0)} MiB before, ${rssAfter.toFixed(0)} MiB after`,
        ].join("\n"),
      );
      expect(alive(pid)).toBe(true);
      expect(p99).toBeLessThan(1000);
      // Near the baseline: allocator slack and caches are allowed, a leak per case is not.
      expect(rssAfter).toBeLessThan(rssBefore * 1.5 + 64);
      const exit = await serve.stop();
      stopped = true;
      expect(exit).toEqual({ code: 0, signal: null, left: [] });
    } finally {
      if (!stopped) await serve.stop();
    }
  }, Math.max(300_000, CASES * 200));
});

/**
 * `serve` stops promptly and cleanly while a model run is in flight. onnxruntime-node cannot
 * interrupt `session.run`, and a worker thread inside it can neither be terminated nor
 * outlived by process.exit without aborting the process, so the daemon runs in a child
 * process that the `serve` process kills once jobs are cancelled and files removed
 * (src/server/supervisor.ts). The tile here (x4plus, 320 px) takes far longer than the
 * time allowed for the exit.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers";
import { REPOSITORY_ROOT, ServeProcess, alive, childrenOf } from "./serve-process";

describe("serve shutdown", () => {
  it.skipIf(process.platform === "win32")(
    "exits 0 on SIGTERM during a long model run, with no files and no processes left",
    async () => {
      const serve = await ServeProcess.start();
      const { child, exited, tempRoot, url, auth } = serve;
      let daemonPids: number[] = [];
      try {
        const image = await sharp(join(REPOSITORY_ROOT, "test/fixtures/astronaut.png")).extract({ left: 100, top: 20, width: 320, height: 320 }).png().toBuffer();
        const created = await fetch(`${url}/v1/jobs?model=x4plus&scale=4&tile=320`, {
          method: "POST",
          headers: { ...auth, "Content-Type": "image/png" },
          body: image,
        });
        expect(created.status).toBe(202);
        const { id } = (await created.json()) as { id: string };
        // The job is inside a model run once it reaches the upscale stage with no tile finished.
        await waitFor(
          async () => {
            const status = (await (await fetch(`${url}/v1/jobs/${id}`, { headers: auth })).json()) as { state: string; stage: string | null };
            return status.state === "running" && status.stage === "upscale";
          },
          // Loading x4plus's session is slow on a loaded machine; this bounds the wait, it times nothing.
          300_000,
          "the job to start upscaling",
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        daemonPids = childrenOf(child.pid!);
        expect(daemonPids.length).toBe(1);
        child.kill("SIGTERM");
        const exit = await Promise.race([
          exited,
          new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 20_000)),
        ]);
        expect(exit).toEqual({ code: 0, signal: null });
        expect(serve.output).toMatch(/Stopped\./);
        expect(serve.output).not.toMatch(/Napi::Error|Aborted|INTERNAL/);
        expect(await readdir(tempRoot)).toEqual([]);
        // The daemon process, and with it the inference worker thread, is gone.
        await waitFor(() => daemonPids.every((pid) => !alive(pid)), 5_000, "the daemon process to end");
      } finally {
        child.kill("SIGKILL");
        for (const pid of daemonPids) if (alive(pid)) process.kill(pid, "SIGKILL");
        await serve.stop();
      }
    },
    420_000,
  );
});

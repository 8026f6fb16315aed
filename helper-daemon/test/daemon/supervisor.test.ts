/**
 * `serve`'s supervisor: a daemon process that dies is restarted on the same port, the reason
 * is reported, the jobs it was running answer DAEMON_RESTARTED, and its temporary folder is
 * gone. And `npm start` stopped with SIGTERM leaves no daemon behind.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers";
import { REPOSITORY_ROOT, ServeProcess, alive, childrenOf } from "./serve-process";

describe.skipIf(process.platform === "win32")("serve supervisor", () => {
  it("restarts a daemon that dies, fails its jobs with DAEMON_RESTARTED and removes their files", async () => {
    const serve = await ServeProcess.start();
    try {
      const image = await sharp(join(REPOSITORY_ROOT, "test/fixtures/astronaut.png")).extract({ left: 100, top: 20, width: 320, height: 320 }).png().toBuffer();
      const created = await fetch(`${serve.url}/v1/jobs?model=x4plus&scale=4&tile=320`, {
        method: "POST",
        headers: { ...serve.auth, "Content-Type": "image/png" },
        body: image,
      });
      expect(created.status).toBe(202);
      const { id } = await created.json();
      const [firstFolder] = await readdir(serve.tempRoot);
      const daemon = serve.daemonPid()!;
      // What a crash in native code looks like from outside.
      process.kill(daemon, "SIGABRT");
      await serve.waitListening(2);
      expect(serve.output).toContain("the daemon process was stopped by SIGABRT; 1 running job failed with DAEMON_RESTARTED");
      expect(alive(daemon)).toBe(false);
      const status = await (await fetch(`${serve.url}/v1/jobs/${id}`, { headers: serve.auth })).json();
      expect(status.state).toBe("failed");
      expect(status.error.code).toBe("DAEMON_RESTARTED");
      const folders = await readdir(serve.tempRoot);
      expect(folders).toHaveLength(1);
      expect(folders).not.toContain(firstFolder);
      expect((await fetch(`${serve.url}/v1/health`)).status).toBe(200);
    } finally {
      const exit = await serve.stop();
      expect(exit).toEqual({ code: 0, signal: null, left: [] });
    }
  }, 180_000);

  it("`npm start` stopped with SIGTERM leaves no daemon and frees the port", async () => {
    const serve = await ServeProcess.start({ command: "npm", args: ["start", "--silent", "--", "--port", "0", "--provider", "cpu"] });
    // The script's shell used to stay between npm and the daemon: npm's SIGTERM ended the shell only.
    const processes: number[] = [];
    const collect = (pid: number): void => {
      for (const child of childrenOf(pid)) {
        processes.push(child);
        collect(child);
      }
    };
    collect(serve.child.pid!);
    expect(processes.length).toBeGreaterThan(0);
    serve.child.kill("SIGTERM");
    await serve.exited;
    await waitFor(() => processes.every((pid) => !alive(pid)), 20_000, "every process under npm to end");
    await expect(fetch(`${serve.url}/v1/health`)).rejects.toThrow();
    await serve.stop();
  }, 120_000);
});

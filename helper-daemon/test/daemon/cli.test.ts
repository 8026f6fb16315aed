/** The `token` and `pair` commands against a running daemon with its own config folder. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main";
import { daemonPerTest } from "../support/daemon-per-test";

const startDaemon = daemonPerTest();

async function cli(args: string[], configDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(args, {
    stdout,
    stderr,
    signal: new AbortController().signal,
    cwd: configDir,
    env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: configDir },
  });
  return { code, stdout: out, stderr: err };
}

describe("token and pair commands", () => {
  it("prints the token and its path", async () => {
    const daemon = await startDaemon();
    const printed = await cli(["token"], daemon.configDir);
    expect(printed).toMatchObject({ code: 0, stdout: `${daemon.token}\n` });
    const path = await cli(["token", "--path"], daemon.configDir);
    expect(path.stdout.trim()).toBe(join(daemon.configDir, "token"));
  });

  it("gets a one-time code from the running daemon that a client exchanges for the token", async () => {
    const daemon = await startDaemon();
    await writeFile(join(daemon.configDir, "config.json"), JSON.stringify({ port: daemon.port }));
    const result = await cli(["pair", "--json"], daemon.configDir);
    expect(result.code).toBe(0);
    const { code, expiresInSeconds } = JSON.parse(result.stdout);
    expect(code).toMatch(/^\d{3}-\d{3}$/);
    expect(expiresInSeconds).toBeGreaterThan(100);
    const paired = await fetch(`${daemon.url}/v1/pair`, { method: "POST", body: JSON.stringify({ code }) });
    expect(await paired.json()).toEqual({ token: daemon.token });
  });

  it("refuses a non-loopback host from config.json unless --host says so on the command line", async () => {
    const daemon = await startDaemon();
    await writeFile(join(daemon.configDir, "config.json"), JSON.stringify({ host: "0.0.0.0", port: 0 }));
    const result = await cli(["serve"], daemon.configDir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/INVALID_OPTION: Expected a loopback host in config\.json .* for host but received "0\.0\.0\.0"/);
  });

  it("explains when no daemon is running", async () => {
    const daemon = await startDaemon();
    // A port that was free a moment ago: bind it, note it, let it go.
    const { createServer } = await import("node:net");
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const result = await cli(["pair", "--port", String(port)], daemon.configDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not running .*portrait-upscale serve/);
  });
});

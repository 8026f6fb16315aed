/**
 * A private redis-server (the Debian package) on a free loopback port, without persistence:
 * what the queue's tests and the studio benchmark run against. Never for production use.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`, or `rediss://` with TLS. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts redis-server on `port` (a free one when omitted); resolves once it accepts
 * connections. With `tls` it listens for TLS only, with that certificate and key.
 */
export async function startPrivateRedis(port?: number, tls?: { cert: string; key: string }): Promise<PrivateRedis> {
  const chosen = port ?? (await freePort());
  const listen = tls
    ? ["--port", "0", "--tls-port", String(chosen), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-auth-clients", "no"]
    : ["--port", String(chosen)];
  const child = spawn("redis-server", [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${log}`)));
    child.once("error", reject);
  });
  return {
    port: chosen,
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${chosen}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

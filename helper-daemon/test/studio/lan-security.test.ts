// A daemon on a studio LAN: `serve --tls-cert --tls-key` with a self-signed certificate made
// here, named per-client tokens from `tokens`, real HTTPS and WSS clients, a revoked token.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryPath as repoPath } from "@portrait-upscale/models";
import { runCliCaptured } from "../support/run-cli";
import { startServe, writeShoot, type CliProcess } from "./support";

let work: string;
let ca: Buffer;
let serve: CliProcess;
let url: string;
const tokens: Record<string, string> = {};

function tokensCli(...args: string[]) {
  return runCliCaptured(["tokens", ...args], { cwd: work, env: { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: join(work, "config") } });
}

/** One HTTPS request trusting only the test's certificate. */
function https(path: string, options: { token?: string; method?: string; body?: Buffer; type?: string; trust?: boolean } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method: options.method ?? "GET",
        ...(options.trust === false ? {} : { ca }),
        headers: { ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...(options.type ? { "Content-Type": options.type } : {}) },
      },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Over WSS with `token`: says hello, sends `message`, and resolves the first answer that is not the welcome. */
function wssAsk(token: string, message: Record<string, unknown>): Promise<{ type: string; code?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace("https", "wss")}/v1/ws`, { ca, headers: { Authorization: `Bearer ${token}` } });
    socket.on("open", () => socket.send(JSON.stringify({ type: "hello", protocol: 1, client: { name: "lan-test", version: "0.1.0" } })));
    socket.on("message", (data, binary) => {
      if (binary) return;
      const answer = JSON.parse(String(data)) as { type: string; code?: string };
      if (answer.type === "welcome") {
        socket.send(JSON.stringify(message));
        return;
      }
      socket.close();
      resolve(answer);
    });
    socket.on("error", reject);
  });
}

/** Opens a WSS connection with `token` in the upgrade; resolves "open" or the refusal's status. */
function wss(token: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url.replace("https", "wss")}/v1/ws`, { ca, headers: { Authorization: `Bearer ${token}` } });
    socket.on("open", () => {
      socket.close();
      resolve("open");
    });
    socket.on("unexpected-response", (_request, response) => resolve(`refused ${response.statusCode}`));
    socket.on("error", (error) => resolve(`error ${error.message}`));
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon") });
  work = await mkdtemp(join(tmpdir(), "pu-lan-"));
  await writeShoot(join(work, "shoot"), 1);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(work, "key.pem"), "-out", join(work, "cert.pem"),
  ], { stdio: "ignore" });
  ca = await readFile(join(work, "cert.pem"));
  for (const name of ["alice", "bob"]) {
    const run = await tokensCli("create", name);
    expect(run.code, run.stderr).toBe(0);
    tokens[name] = run.stdout.trim();
  }
  ({ serve, url } = await startServe(["--provider", "cpu", "--tls-cert", "cert.pem", "--tls-key", "key.pem"], { cwd: work, configDir: join(work, "config") }));
});
afterAll(async () => {
  serve?.child.kill("SIGTERM");
  await serve?.exited;
  await rm(work, { recursive: true, force: true });
});

describe("per-client tokens over TLS", () => {
  it("stores only hashes and lists the clients", async () => {
    const file = await readFile(join(work, "config", "client-tokens.json"), "utf8");
    expect(file).not.toContain(tokens.alice);
    expect(file).not.toContain(tokens.bob);
    expect(JSON.parse(file).clients.map((client: { sha256: string }) => client.sha256)).toHaveLength(2);
    const list = await tokensCli("list", "--json");
    expect(JSON.parse(list.stdout).clients.map((client: { name: string; revokedAt: null }) => [client.name, client.revokedAt])).toEqual([
      ["alice", null],
      ["bob", null],
    ]);
  });

  it("serves HTTPS that a client trusting the certificate reaches, and refuses an untrusting one", async () => {
    expect((await https("/v1/info", { token: tokens.alice })).status).toBe(200);
    await expect(https("/v1/info", { token: tokens.alice, trust: false })).rejects.toThrow(/self-signed|self signed/);
    expect(JSON.parse((await https("/v1/info")).body).error.code).toBe("AUTH_REQUIRED");
  });

  it("shows a job only to the client that created it", async () => {
    const body = await readFile(join(work, "shoot", "face-0.png"));
    const created = await https("/v1/jobs?preset=fast-preview", { token: tokens.alice, method: "POST", body, type: "image/png" });
    expect(created.status).toBe(202);
    const { id } = JSON.parse(created.body);
    expect((await https(`/v1/jobs/${id}`, { token: tokens.alice })).status).toBe(200);
    const stranger = await https(`/v1/jobs/${id}`, { token: tokens.bob });
    expect([stranger.status, JSON.parse(stranger.body).error.code]).toEqual([404, "JOB_UNKNOWN"]);
    const cancel = await https(`/v1/jobs/${id}`, { token: tokens.bob, method: "DELETE" });
    expect(JSON.parse(cancel.body).error.code).toBe("JOB_UNKNOWN");
    // Over the WebSocket too: another client's token can neither cancel nor fetch it.
    expect(await wssAsk(tokens.bob, { type: "cancel", jobId: id })).toMatchObject({ type: "error", code: "JOB_UNKNOWN" });
    expect(await wssAsk(tokens.bob, { type: "fetch-result", jobId: id })).toMatchObject({ type: "error", code: "JOB_UNKNOWN" });
  });

  it("refuses a revoked token over HTTPS and WSS at once, keeping the others", async () => {
    expect(await wss(tokens.bob)).toBe("open");
    expect((await tokensCli("revoke", "bob")).code).toBe(0);
    const refused = await https("/v1/info", { token: tokens.bob });
    expect([refused.status, JSON.parse(refused.body).error.code]).toEqual([401, "AUTH_INVALID"]);
    expect(await wss(tokens.bob)).toBe("refused 401");
    expect(await wss(tokens.alice)).toBe("open");
    expect((await https("/v1/info", { token: tokens.alice })).status).toBe(200);
  });
});

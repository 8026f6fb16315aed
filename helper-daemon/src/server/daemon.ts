/**
 * Starts the daemon: one HTTP server carrying the HTTP API and the WebSocket endpoint, the
 * job engine behind both, and a private temporary folder that is removed at shutdown.
 */
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { PortraitError } from "@portrait-upscale/shared";
import type { ClientTokens } from "../clients/client-tokens";
import type { DaemonConfig } from "../config/config";
import { SILENT_LOGGER, type Logger } from "../config/log";
import { JobEngine } from "../jobs/engine";
import type { JobRunner } from "../jobs/types";
import { DEFAULT_WINDOW, chunkBytesFor, type DaemonCatalog, type DaemonContext } from "./context";
import { ConnectionGuard, DEFAULT_NETWORK_LIMITS, type NetworkLimits } from "./connections";
import { handleHttp } from "./http-api";
import { UploadBudget } from "./limits";
import { Pairing } from "./pairing";
import { RefusalLog } from "./refusal-log";
import { allowedHostHeaders } from "./security";
import { DEFAULT_WS_OPTIONS, attachWebSocket, type WsOptions } from "./ws-endpoint";

export interface DaemonOptions {
  readonly config: DaemonConfig;
  readonly token: string;
  readonly runner: JobRunner;
  readonly catalog: DaemonCatalog;
  /** The folder under which the daemon makes its own temporary folder. */
  readonly tempRoot: string;
  readonly logger?: Logger;
  readonly ws?: Partial<WsOptions>;
  /** Named per-client tokens accepted besides `token`. */
  readonly clientTokens?: ClientTokens;
  /** Serve HTTPS and WSS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Timeouts and connection caps (tests shorten them). */
  readonly network?: Partial<NetworkLimits>;
  /** Jobs a previous daemon process was running when it died: reported as failed with `error`. */
  readonly lostJobs?: { readonly ids: readonly string[]; readonly error: PortraitError };
  /** Told the ids of queued and running jobs whenever they change (for the supervisor). */
  readonly onActiveJobs?: (ids: readonly string[]) => void;
}

export interface RunningDaemon {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly host: string;
  /** `http://host:port`. */
  readonly url: string;
  readonly engine: JobEngine;
  readonly pairing: Pairing;
  /** This run's temporary folder (inside `tempRoot`). */
  readonly tempDir: string;
  /** Cancels every job, closes every connection, removes the temporary folder. */
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const tempDir = await mkdtemp(join(options.tempRoot, "portrait-upscale-"));
  const engine = new JobEngine({
    runner: options.runner,
    concurrency: config.concurrency,
    maxJobsPerClient: config.limits.maxJobsPerClient,
    retentionMs: config.resultRetentionSeconds * 1000,
    spillBytes: config.resultSpillBytes,
    tempDir,
    logger,
    ...(options.onActiveJobs ? { onActiveJobs: options.onActiveJobs } : {}),
  });
  if (options.lostJobs && options.lostJobs.ids.length > 0) {
    engine.recordLost(options.lostJobs.ids, options.lostJobs.error);
    logger.warn("jobs lost when the previous daemon process stopped", { ids: [...options.lostJobs.ids], reason: options.lostJobs.error.data?.reason ?? null });
  }
  const pairing = new Pairing(options.token);
  const network: NetworkLimits = { ...DEFAULT_NETWORK_LIMITS, ...options.network };
  const connections = new ConnectionGuard(network);
  const refusals = new RefusalLog(logger);
  const context: DaemonContext = {
    config,
    token: options.token,
    ...(options.clientTokens ? { clientTokens: options.clientTokens } : {}),
    engine,
    pairing,
    catalog: options.catalog,
    logger,
    uploads: new UploadBudget(config.limits.maxPendingUploadBytes),
    allowedHosts: new Set(),
    chunkBytes: chunkBytesFor(config),
    window: DEFAULT_WINDOW,
    network,
    connections,
    refusals,
  };
  const handler = (request: Parameters<typeof handleHttp>[1], response: Parameters<typeof handleHttp>[2]): void => void handleHttp(context, request, response);
  // HTTPS carries the WebSocket upgrade as HTTP does (wss://).
  const server: Server = options.tls
    ? createTlsServer({ ...connections.serverOptions(), cert: options.tls.cert, key: options.tls.key }, handler)
    : createServer(connections.serverOptions(), handler);
  connections.attach(server);
  // Without this listener Node answers "100 Continue" itself, before the headers are checked.
  server.on("checkContinue", (request, response) => {
    void handleHttp(context, request, response);
  });
  const closeWebSockets = attachWebSocket(context, server, { ...DEFAULT_WS_OPTIONS, ...options.ws });
  try {
    await listen(server, config.port, config.host);
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new PortraitError(
      "INTERNAL",
      code === "EADDRINUSE"
        ? `Port ${config.port} on ${config.host} is in use: is the daemon already running? Choose another with --port.`
        : `Cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
      { host: config.host, port: config.port, reason: code ?? null },
    );
  }
  const port = (server.address() as AddressInfo).port;
  for (const host of allowedHostHeaders(port, config.host)) context.allowedHosts.add(host);
  logger.info("listening", { host: config.host, port });
  let closing: Promise<void> | undefined;
  return {
    port,
    host: config.host,
    url: `${options.tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    engine,
    pairing,
    tempDir,
    close() {
      closing ??= (async () => {
        server.close();
        await closeWebSockets();
        await engine.shutdown();
        server.closeAllConnections();
        refusals.flush();
        await rm(tempDir, { recursive: true, force: true });
        logger.info("stopped");
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

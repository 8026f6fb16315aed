/** `portrait-upscale serve`: runs the daemon until Ctrl-C (or SIGTERM), then stops cleanly. */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { invalidParameter } from "@portrait-upscale/shared";
import { loadConfig } from "../../config/config";
import { useBroughtModelFolders } from "../../user-models/catalog";
import { createFileLogger } from "../../config/log";
import { configDir, configFiles, tempRoot } from "../../config/paths";
import { ensureToken } from "../../config/token";
import { ClientTokens } from "../../clients/client-tokens";
import { parseQueueUrl } from "../../queue/connection";
import { createQueueRunner } from "../../queue/daemon-runner";
import { PROVIDER_REQUESTS, createInferencePool, ensureDevice, parseProviderRequest } from "../../inference/index";
import { PresetStore } from "../../presets/index";
import { UNCALIBRATED, readCalibration, type Calibration } from "../../cost/index";
import type { Logger } from "../../config/log";
import { createCatalog, modelSummaries } from "../../server/catalog";
import { startDaemon } from "../../server/daemon";
import { DevicePools } from "../../server/device-pools";
import { deviceSummaries, machineGpus } from "../../server/devices";
import { lostJobsFromEnv, reportActiveJobs, reportCleanedUp, reportStarted } from "../../server/supervisor";
import { isLoopbackHost } from "../../server/security";
import { createUpscaleRunner } from "../../server/upscale-runner";
import { imageLimitsOf } from "../../upscale/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";

export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the helper daemon for the Photoshop panel, the GIMP plug-in and scripts.",
  usage: ["serve [--port N] [--host H] [--provider P] [--device N] [--tls-cert FILE --tls-key FILE] [--queue URL]"],
  details: [
    "Listens on 127.0.0.1:7421 unless config.json or the options say otherwise. Clients need the",
    "token (`portrait-upscale token`) or a one-time pairing code (`portrait-upscale pair`).",
    "Listening on a non-loopback address needs --host on the command line; the token is still required.",
    "Stop with Ctrl-C: running jobs are cancelled and temporary files removed.",
    "On a studio LAN: give each desk its own token (`portrait-upscale tokens create NAME`; each sees",
    "only its own jobs) and serve HTTPS/WSS with --tls-cert and --tls-key (PEM files).",
    "--queue redis://HOST:PORT[/DB] forwards every job to the studio's workers (`portrait-upscale worker`)",
    "with the same protocol and progress: a laptop's panel uses the studio's GPU machines, and lists",
    "the devices the workers serve (a job naming one runs on a worker on that device).",
  ].join("\n"),
  options: {
    port: { type: "string", short: "p", valueName: "N", description: "Port to listen on (0 picks a free one).", default: "7421" },
    host: { type: "string", valueName: "H", description: "Address to listen on.", default: "127.0.0.1" },
    provider: { type: "string", valueName: "P", description: `${PROVIDER_REQUESTS.join(" | ")}`, default: "auto" },
    device: { type: "string", valueName: "N", description: "The GPU jobs run on, on machines with several (CUDA, DirectML; config.json `device`, default 0)." },
    "tls-cert": { type: "string", valueName: "FILE", description: "Serve HTTPS and WSS with this certificate (PEM)." },
    "tls-key": { type: "string", valueName: "FILE", description: "The certificate's private key (PEM)." },
    queue: { type: "string", valueName: "URL", description: "redis://HOST:PORT[/DB]: run jobs on the studio's workers instead of here." },
  },
  async run(context) {
    const dir = configDir(context.env);
    const port = context.values.port === undefined ? undefined : Number(context.values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw invalidParameter("an integer from 0 to 65535", "--port", context.values.port);
    }
    const hostFlag = typeof context.values.host === "string" ? context.values.host : undefined;
    const device = context.values.device === undefined ? undefined : Number(context.values.device);
    if (device !== undefined && !(Number.isInteger(device) && device >= 0 && device <= 64)) {
      throw invalidParameter("an integer from 0 to 64", "--device", context.values.device);
    }
    const config = await loadConfig(dir, { port, host: hostFlag, device });
    if (!isLoopbackHost(config.host) && hostFlag === undefined) {
      throw invalidParameter(
        "a loopback host in config.json (other addresses need --host on the command line)",
        "host",
        config.host,
      );
    }
    const provider = parseProviderRequest(context.values.provider ?? "auto", "--provider");
    const tls = await readTlsFiles(context.values["tls-cert"], context.values["tls-key"], context.cwd);
    const queueUrl = context.values.queue === undefined ? undefined : parseQueueUrl(context.values.queue);
    const token = await ensureToken(dir);
    const files = configFiles(dir);
    const logger = createFileLogger(files.log, config.log.maxBytes, config.log.generations);
    await ensureDevice(config.device, provider);
    // One pool per device, each made when a job first runs there; the default device's now, for the catalog's provider.
    const pools = new DevicePools(
      (device) => createInferencePool({ provider, device, ...(config.workers > 0 ? { workers: config.workers } : {}) }),
      config.device,
    );
    const pool = pools.for(config.device);
    const devices = deviceSummaries(pool.provider, config.device, await machineGpus(context.env, pool.provider));
    const presets = await PresetStore.open({
      userDir: join(dir, "presets"),
      studioDir: config.studioPresetFolder,
      onProblem: (problem) => logger.warn("preset skipped", { ...problem }),
    });
    useBroughtModelFolders(dir, config.studioPresetFolder);
    const models = await modelSummaries();
    const queueRunner = queueUrl
      ? await createQueueRunner(
          queueUrl,
          presets,
          (line) => {
            logger.warn(line);
            context.stderr.write(`${line}\n`);
          },
          config.device,
        )
      : undefined;
    const runner = queueRunner ?? createUpscaleRunner(pools, presets, imageLimitsOf(config), config.memoryBudget);
    const catalog = createCatalog(pool, presets, models, {
      calibration: await calibrationOrNone(dir, logger),
      memoryBudget: config.memoryBudget,
      device: config.device,
      // Forwarded jobs run on the studio's workers: their devices, this machine's default until one is up.
      devices: queueRunner ? () => nonEmpty(queueRunner.devices(), devices) : devices,
    });
    let daemon;
    try {
      const lostJobs = lostJobsFromEnv(context.env);
      daemon = await startDaemon({
        config,
        token,
        runner,
        catalog,
        tempRoot: tempRoot(context.env),
        logger,
        clientTokens: new ClientTokens(dir),
        ...(tls ? { tls } : {}),
        onActiveJobs: reportActiveJobs,
        ...(lostJobs ? { lostJobs } : {}),
      });
    } catch (error) {
      await queueRunner?.close();
      presets.close();
      await pools.close();
      throw error;
    }
    reportStarted(daemon.tempDir, daemon.port);
    const out = context.stdout;
    const providers = catalog.providers();
    const installed = models.filter((model) => model.installed);
    const missing = models.filter((model) => !model.installed);
    out.write(`Portrait Upscale daemon listening on ${daemon.url} (${tls ? "HTTPS /v1, WebSocket wss /v1/ws" : "HTTP /v1, WebSocket /v1/ws"})\n`);
    if (!isLoopbackHost(config.host)) {
      out.write(`WARNING: listening on ${config.host}, reachable from other machines. Every request still needs the token.\n`);
    }
    if (queueUrl) out.write(`Jobs run on the studio's workers at ${queueUrl.display}\n`);
    out.write(`Providers: ${providers.available.join(", ")} (active: ${providers.active})\n`);
    if (catalog.devices().length > 1) out.write(`Devices: ${catalog.devices().map((entry) => `${entry.id} ${entry.name}${entry.default ? " (default)" : ""}`).join(", ")}\n`);
    out.write(`Models: ${installed.length > 0 ? installed.map((model) => model.id).join(", ") : "none installed"}\n`);
    if (missing.length > 0) {
      out.write(`Missing models: ${missing.map((model) => model.id).join(", ")} - run \`portrait-upscale models verify --repair\`\n`);
    }
    out.write(`Presets: ${catalog.presets().map((preset) => preset.id).join(", ")}\n`);
    out.write(`Clients authenticate with the token in ${files.token} (print it: portrait-upscale token),\n`);
    out.write(`or pair with a one-time code: portrait-upscale pair\n`);
    out.write(`Log: ${files.log}\nPress Ctrl-C to stop.\n`);
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    out.write("Stopping: cancelling jobs and removing temporary files...\n");
    await daemon.close();
    await queueRunner?.close();
    presets.close();
    await new Promise<void>((resolve) => out.write("Stopped.\n", () => resolve()));
    // Supervised, the parent ends this process now rather than wait for a model run in flight.
    await reportCleanedUp();
    await pools.close();
    return EXIT_CODES.ok;
  },
};

/** The GPUs the driver lists for a GPU provider; none for the CPU, which is one device. */
/** The PEM certificate and key of `--tls-cert` and `--tls-key`: both or neither. */
async function readTlsFiles(cert: unknown, key: unknown, cwd: string): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (cert === undefined && key === undefined) return undefined;
  if (typeof cert !== "string" || cert === "") throw invalidParameter("a certificate file alongside --tls-key", "--tls-cert", cert);
  if (typeof key !== "string" || key === "") throw invalidParameter("a private key file alongside --tls-cert", "--tls-key", key);
  const read = async (path: string, name: string): Promise<Buffer> => {
    try {
      return await readFile(resolve(cwd, path));
    } catch (error) {
      throw invalidParameter(`a readable PEM file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`, name, path);
    }
  };
  return { cert: await read(cert, "--tls-cert"), key: await read(key, "--tls-key") };
}

function nonEmpty<T>(list: T[], fallback: T[]): T[] {
  return list.length > 0 ? list : fallback;
}

/** This machine's calibration; a damaged file is logged and the reference figures stand in, since estimates are advice. */
async function calibrationOrNone(dir: string, logger: Logger): Promise<Calibration> {
  try {
    return await readCalibration(dir);
  } catch (error) {
    logger.warn("calibration.json ignored: run `portrait-upscale calibrate` again", { message: (error as Error).message });
    return UNCALIBRATED;
  }
}

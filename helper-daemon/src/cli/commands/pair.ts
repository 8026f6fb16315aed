/**
 * `portrait-upscale pair`: asks the running daemon for a one-time code (valid two minutes,
 * single use) to type into the panel, which exchanges it for the token.
 */
import { PortraitError, invalidParameter, isErrorCode } from "@portrait-upscale/shared";
import { loadConfig } from "../../config/config";
import { configDir } from "../../config/paths";
import { readToken } from "../../config/token";
import { isLoopbackHost } from "../../server/security";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";

export const pairCommand: CliCommand = {
  name: "pair",
  summary: "Show a one-time code that connects the Photoshop panel (or another client) to the daemon.",
  usage: ["pair [--port N] [--json]"],
  details: "The daemon must be running (`portrait-upscale serve`). The code works once, for two minutes.",
  options: {
    port: { type: "string", short: "p", valueName: "N", description: "The daemon's port (default: from config.json, else 7421)." },
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  async run(context) {
    const dir = configDir(context.env);
    const port = context.values.port === undefined ? undefined : Number(context.values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw invalidParameter("an integer from 1 to 65535", "--port", context.values.port);
    }
    const config = await loadConfig(dir, { port });
    const token = await readToken(dir);
    if (!token) throw new PortraitError("AUTH_REQUIRED", "No token yet: start the daemon once with `portrait-upscale serve`.");
    const wildcard = config.host === "0.0.0.0" || config.host === "::";
    const host = isLoopbackHost(config.host) || wildcard ? "127.0.0.1" : config.host;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}/v1/pair/code`;
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers: { Authorization: `Bearer ${token}` }, signal: context.signal });
    } catch {
      throw new PortraitError("INTERNAL", `The daemon is not running on ${host}:${config.port}; start it with \`portrait-upscale serve\`.`, {
        host,
        port: config.port,
      });
    }
    const body = (await response.json().catch(() => ({}))) as { code?: string; expiresAt?: number; error?: { code?: string; message?: string } };
    if (!response.ok || typeof body.code !== "string") {
      const code = isErrorCode(body.error?.code) ? body.error.code : "INTERNAL";
      throw new PortraitError(code, body.error?.message ?? `The daemon answered ${response.status}.`);
    }
    const seconds = Math.max(0, Math.round(((body.expiresAt ?? Date.now()) - Date.now()) / 1000));
    if (context.values.json) writeJson(context, { ok: true, code: body.code, expiresInSeconds: seconds });
    else context.stdout.write(`Pairing code: ${body.code}\nType it into the panel within ${seconds} seconds. It works once.\n`);
    return EXIT_CODES.ok;
  },
};

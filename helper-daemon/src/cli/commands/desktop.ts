/**
 * The desktop commands a bundle's launchers use: `start` (the daemon in the background),
 * `stop`, and `install` / `uninstall` (login item or user service, GIMP plug-in, panel).
 */
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../../config/config";
import { configDir } from "../../config/paths";
import { probePort, startInBackground, stopBackground } from "../../desktop/background";
import { install, uninstall, type DesktopContext } from "../../desktop/install";
import type { CliCommand, CliContext } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";
import { gimpBridgeSourceDir } from "./install-gimp";

const JSON_OPTION = { type: "boolean", description: "Print one JSON object instead of text." } as const;

function desktopContext(context: CliContext): DesktopContext {
  const cli = realpathSync(process.argv[1] ?? "");
  const resources = dirname(dirname(cli));
  return {
    platform: process.platform,
    env: context.env,
    home: context.env.HOME || homedir(),
    configDir: configDir(context.env),
    program: { node: process.execPath, cli },
    resources,
    gimpBridgeDir: gimpBridgeSourceDir(dirname(cli)),
  };
}

async function portOf(context: CliContext): Promise<number> {
  return (await loadConfig(configDir(context.env))).port;
}

async function startDaemon(context: CliContext): Promise<string> {
  const port = await portOf(context);
  const { alreadyRunning } = await startInBackground({ configDir: configDir(context.env), port, env: context.env });
  return alreadyRunning
    ? `Portrait Upscale is already running on http://127.0.0.1:${port}.`
    : `Portrait Upscale is running on http://127.0.0.1:${port}: use it from Photoshop or GIMP.`;
}

export const startCommand: CliCommand = {
  name: "start",
  summary: "Start the daemon in the background (what the desktop launchers do).",
  usage: ["start [--json]"],
  options: { json: JSON_OPTION },
  async run(context) {
    const message = await startDaemon(context);
    if (context.values.json) writeJson(context, { ok: true, message });
    else context.stdout.write(`${message}\n`);
    return EXIT_CODES.ok;
  },
};

export const stopCommand: CliCommand = {
  name: "stop",
  summary: "Stop a daemon started with `start`.",
  usage: ["stop"],
  options: {},
  async run(context) {
    const port = await portOf(context);
    const stopped = await stopBackground(configDir(context.env), port);
    const still = await probePort(port);
    context.stdout.write(
      still === "ours"
        ? "The daemon still runs: it was started by the login service (systemctl --user stop portrait-upscale, or log out) or by hand.\n"
        : stopped
          ? "Stopped the daemon.\n"
          : "The daemon was not running.\n",
    );
    return EXIT_CODES.ok;
  },
};

export const installCommand: CliCommand = {
  name: "install",
  summary: "Start the daemon at login, install the GIMP plug-in and the Photoshop panel.",
  usage: ["install [--no-start] [--json]"],
  details: [
    "Linux: a systemd user unit (~/.config/systemd/user/portrait-upscale.service), or an XDG autostart",
    "entry where systemd is absent, plus a menu entry. macOS: a LaunchAgent. Windows: a per-user",
    "startup entry and the portrait-upscale:// link the panel uses to start the daemon.",
    "Settings (token, config.json, presets) stay in the config folder and survive reinstalling.",
  ].join("\n"),
  options: { "no-start": { type: "boolean", description: "Register everything but do not start the daemon now." }, json: JSON_OPTION },
  async run(context) {
    const desktop = desktopContext(context);
    const start = context.values["no-start"] !== true;
    const report = await install(desktop, { start });
    const started = start && !report.startedByService ? await startDaemon(context) : undefined;
    if (context.values.json) {
      writeJson(context, { ok: true, ...report, ...(started ? { started } : {}) });
      return EXIT_CODES.ok;
    }
    const lines = [
      `Installed Portrait Upscale (login item: ${report.record.loginItem}; GIMP plug-in: ${report.record.gimpPluginDir}).`,
      ...report.notes,
      ...(started ? [started] : []),
      "Restart GIMP and Photoshop to see Upscale Portrait. Remove everything with: portrait-upscale uninstall",
      ...(report.record.panel === "not-on-this-platform"
        ? []
        : ["The first time, the panel asks to be paired: run `portrait-upscale pair` and type the code it prints."]),
    ];
    context.stdout.write(`${lines.join("\n")}\n`);
    return EXIT_CODES.ok;
  },
};

export const uninstallCommand: CliCommand = {
  name: "uninstall",
  summary: "Stop the daemon and remove what install added (settings are kept unless --purge).",
  usage: ["uninstall [--purge] [--json]"],
  options: { purge: { type: "boolean", description: "Also remove the settings: token, config.json, presets, log." }, json: JSON_OPTION },
  async run(context) {
    const desktop = desktopContext(context);
    const port = await portOf(context).catch(() => undefined);
    const result = await uninstall(desktop, { purge: context.values.purge === true, ...(port !== undefined ? { port } : {}) });
    if (context.values.json) {
      writeJson(context, { ok: true, ...result });
      return EXIT_CODES.ok;
    }
    const kept = context.values.purge ? "" : ` Settings are kept in ${join(desktop.configDir)} (remove them with --purge).`;
    context.stdout.write(result.installed ? `Removed Portrait Upscale's login item, GIMP plug-in and panel.${kept}\n` : `Portrait Upscale was not installed.${kept}\n`);
    return EXIT_CODES.ok;
  },
};

/**
 * `portrait-upscale install` / `uninstall`: register the daemon as a login item or user service,
 * install the GIMP plug-in and the Photoshop panel, and take all of it away again. Everything
 * written is listed in `install.json` in the config folder, so uninstall removes exactly that
 * (and the folders install created), even after the bundle moved or was updated.
 * Settings (token, config.json, presets) live in the config folder and are kept unless purged.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, readdir, rm, rmdir, symlink, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { stampConfigVersion } from "../config/config";
import { configFiles } from "../config/paths";
import { gimpPluginDir, gimpProfileDir, installGimpPlugin, uninstallGimpPlugin } from "../cli/commands/install-gimp";
import { stopBackground } from "./background";
import { LAUNCH_AGENT_LABEL, SERVICE_NAME, adobePluginInstaller, desktopEntry, launchAgent, systemdUnit, windowsRegistry, type Home, type Program } from "./login-items";

const run = promisify(execFile);

/** Exists only while systemd runs as the system's init. */
const SYSTEMD_RUNNING_MARKER = "/run/systemd/system";

/** How the daemon is started at login on this machine. */
export type LoginItemKind = "systemd" | "xdg-autostart" | "launch-agent" | "windows-run";

export interface InstallRecord {
  readonly version: 1;
  readonly loginItem: LoginItemKind;
  /** Files and links written, to remove on uninstall. */
  readonly files: string[];
  /** Folders that did not exist before install, deepest last. */
  readonly createdDirs: string[];
  readonly gimpPluginDir: string;
  readonly panel: "adobe-installer" | "opened" | "not-on-this-platform" | "missing";
  readonly registry?: string[][];
}

export interface DesktopContext extends Home {
  readonly platform: NodeJS.Platform;
  readonly configDir: string;
  readonly program: Program;
  /** The bundle's resources folder (holding panel/ and gimp-bridge/). */
  readonly resources: string;
  readonly gimpBridgeDir: string;
}

export interface InstallReport {
  readonly record: InstallRecord;
  /** Sentences for the user: what was done, and why anything was not. */
  readonly notes: string[];
  /** True when the service manager starts the daemon; otherwise the caller starts it. */
  readonly startedByService: boolean;
}

function recordFile(configDir: string): string {
  return join(configDir, "install.json");
}

/** The install record, or undefined when nothing is installed. */
export async function readInstallRecord(configDir: string): Promise<InstallRecord | undefined> {
  return readFile(recordFile(configDir), "utf8").then((text) => JSON.parse(text) as InstallRecord, () => undefined);
}

/** Creates `dir` and its missing parents, adding the ones it created to `created` (outermost first). */
async function makeDir(dir: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; !existsSync(current); current = dirname(current)) missing.unshift(current);
  await mkdir(dir, { recursive: true });
  for (const folder of missing) if (!created.includes(folder)) created.push(folder);
}

async function commandExists(name: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (env.PATH ?? "").split(delimiter).some((folder) => folder !== "" && existsSync(join(folder, name)));
}

async function tryRun(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    await run(argv[0], argv.slice(1), { env, timeout: 30_000 });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim().split("\n")[0];
    return stderr || (error as Error).message;
  }
}

/** Installs the login item, the GIMP plug-in and the panel; see {@link InstallReport}. */
export async function install(context: DesktopContext, options: { readonly start: boolean }): Promise<InstallReport> {
  if (await readInstallRecord(context.configDir)) await uninstall(context, { purge: false });
  if (existsSync(configFiles(context.configDir).config)) await stampConfigVersion(context.configDir);
  const files: string[] = [];
  const createdDirs: string[] = [];
  const notes: string[] = [];
  const write = async (path: string, text: string, mode = 0o644): Promise<void> => {
    await makeDir(dirname(path), createdDirs);
    await writeFile(path, text);
    await chmod(path, mode);
    files.push(path);
  };
  let loginItem: LoginItemKind;
  let startedByService = false;
  let registry: string[][] | undefined;
  const env = context.env;
  switch (context.platform) {
    case "darwin": {
      loginItem = "launch-agent";
      const agent = launchAgent(context.program, context, configFiles(context.configDir).log);
      await write(agent.path, agent.text);
      const uid = process.getuid?.() ?? 0;
      const failure = options.start ? await tryRun(["launchctl", "bootstrap", `gui/${uid}`, agent.path], env) : "not asked to start";
      startedByService = failure === undefined;
      if (failure && options.start) notes.push(`launchctl could not load the agent now (${failure}); it starts at the next login.`);
      break;
    }
    case "win32": {
      loginItem = "windows-run";
      // On Windows the resources folder is the bundle's top folder, where the double-click script is.
      const commands = windowsRegistry(join(context.resources, "Portrait Upscale.vbs"));
      for (const argv of commands.add) {
        const failure = await tryRun(argv, env);
        if (failure) notes.push(`${argv.slice(0, 3).join(" ")} failed: ${failure}`);
      }
      registry = commands.remove;
      break;
    }
    default: {
      await makeDir(context.configDir, createdDirs);
      if (await commandExists("systemctl", env)) {
        loginItem = "systemd";
        const { unit, wantsLink } = systemdUnit(context.program, context);
        await write(unit.path, unit.text);
        await makeDir(dirname(wantsLink), createdDirs);
        await symlink(`../${SERVICE_NAME}.service`, wantsLink);
        files.push(wantsLink);
        // sd_booted()'s test: without it (containers, chroots, WSL without systemd) systemctl cannot start anything.
        const failure = !existsSync(SYSTEMD_RUNNING_MARKER)
          ? `${SYSTEMD_RUNNING_MARKER} does not exist`
          : ((await tryRun(["systemctl", "--user", "daemon-reload"], env)) ??
            (options.start ? await tryRun(["systemctl", "--user", "start", `${SERVICE_NAME}.service`], env) : undefined));
        startedByService = options.start && failure === undefined;
        if (failure) {
          notes.push(`systemd's user manager is not running here (${failure}): the unit is installed and enabled for logins where it runs${options.start ? ", and the daemon was started directly" : ""}.`);
        }
      } else {
        loginItem = "xdg-autostart";
        const entry = desktopEntry(context.program, context, "autostart");
        await write(entry.path, entry.text);
        notes.push("systemd is not available on this system, so an XDG autostart entry starts the daemon at login instead of a systemd user unit.");
      }
      const menu = desktopEntry(context.program, context, "menu");
      await write(menu.path, menu.text);
    }
  }

  const pluginDir = gimpPluginDir(gimpProfileDir({ env, platform: context.platform, home: context.home }), context.platform);
  await makeDir(pluginDir, createdDirs);
  await installGimpPlugin(context.gimpBridgeDir, pluginDir);
  const panel = await installPanel(context, notes);

  const record: InstallRecord = { version: 1, loginItem, files, createdDirs, gimpPluginDir: pluginDir, panel, ...(registry ? { registry } : {}) };
  await makeDir(context.configDir, createdDirs);
  await writeFile(recordFile(context.configDir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return { record, notes, startedByService };
}

async function installPanel(context: DesktopContext, notes: string[]): Promise<InstallRecord["panel"]> {
  if (context.platform !== "darwin" && context.platform !== "win32") {
    notes.push("Photoshop does not run on this platform, so the panel was not installed.");
    return "not-on-this-platform";
  }
  const ccx = join(context.resources, "panel", "portrait-upscale.ccx");
  if (!existsSync(ccx)) {
    notes.push(`The panel's package ${ccx} is missing, so the panel was not installed.`);
    return "missing";
  }
  const installer = adobePluginInstaller(context.platform, context.env);
  if (installer && existsSync(installer)) {
    const flag = context.platform === "win32" ? "/install" : "--install";
    const failure = await tryRun([installer, flag, ccx], context.env);
    if (!failure) return "adobe-installer";
    notes.push(`Adobe's plug-in installer refused the panel (${failure}); opening it with Creative Cloud instead.`);
  }
  const opener = context.platform === "win32" ? ["cmd", "/c", "start", "", ccx] : ["open", ccx];
  const failure = await tryRun(opener, context.env);
  notes.push(failure ? `Double-click ${ccx} to install the Photoshop panel (${failure}).` : "Creative Cloud asks you to confirm the panel's installation.");
  return "opened";
}

/** Stops the daemon and removes everything {@link install} wrote; `purge` also removes the settings. */
export async function uninstall(context: DesktopContext, options: { readonly purge: boolean; readonly port?: number }): Promise<{ removed: string[]; installed: boolean }> {
  const record = await readInstallRecord(context.configDir);
  const env = context.env;
  const removed: string[] = [];
  if (record?.loginItem === "systemd" && existsSync(SYSTEMD_RUNNING_MARKER)) {
    await tryRun(["systemctl", "--user", "stop", `${SERVICE_NAME}.service`], env);
  } else if (record?.loginItem === "launch-agent") {
    await tryRun(["launchctl", "bootout", `gui/${process.getuid?.() ?? 0}/${LAUNCH_AGENT_LABEL}`], env);
  }
  for (const argv of record?.registry ?? []) await tryRun(argv, env);
  if (options.port !== undefined) await stopBackground(context.configDir, options.port);
  if (record) {
    if (record.panel === "adobe-installer") {
      const installer = adobePluginInstaller(context.platform, env);
      if (installer) await tryRun([installer, context.platform === "win32" ? "/remove" : "--remove", "Portrait Upscale"], env);
    }
    if (existsSync(record.gimpPluginDir)) removed.push(...(await uninstallGimpPlugin(record.gimpPluginDir)).removed);
    for (const file of record.files) {
      await rm(file, { force: true });
      removed.push(file);
    }
    if (record.loginItem === "systemd" && existsSync(SYSTEMD_RUNNING_MARKER)) await tryRun(["systemctl", "--user", "daemon-reload"], env);
    await rm(recordFile(context.configDir), { force: true });
  }
  if (options.purge && existsSync(context.configDir)) {
    await rm(context.configDir, { recursive: true, force: true });
    removed.push(context.configDir);
  }
  if (record) {
    for (const dir of [...record.createdDirs].reverse()) {
      if (existsSync(dir) && (await readdir(dir)).length === 0) {
        await rmdir(dir);
        removed.push(dir);
      }
    }
  }
  return { removed, installed: record !== undefined };
}

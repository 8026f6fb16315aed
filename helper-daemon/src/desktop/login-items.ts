/**
 * What `portrait-upscale install` registers on each platform so the daemon starts at login,
 * as plain data (paths and file contents) that tests can read on any platform:
 * Linux a systemd user unit (or an XDG autostart entry without systemd), macOS a LaunchAgent,
 * Windows a per-user Run entry plus the portrait-upscale:// link the panel opens.
 */
import path from "node:path";

/** The service, agent and entry names. */
export const SERVICE_NAME = "portrait-upscale";
export const LAUNCH_AGENT_LABEL = "com.portraitupscale.helper";
export const URL_SCHEME = "portrait-upscale";

/** The running program: the runtime and the command line's script. */
export interface Program {
  readonly node: string;
  readonly cli: string;
}

export interface Home {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A file install writes (and uninstall removes). */
export interface PlannedFile {
  readonly path: string;
  readonly text: string;
}

function xdgConfig({ home, env }: Home): string {
  return env.XDG_CONFIG_HOME || path.posix.join(home, ".config");
}

function xdgData({ home, env }: Home): string {
  return env.XDG_DATA_HOME || path.posix.join(home, ".local", "share");
}

/** Quotes an argument for systemd's ExecStart and desktop entries' Exec (both take C-like quoting). */
function quoted(value: string): string {
  return `"${value.replace(/(["\\`$])/g, "\\$1")}"`;
}

/** The systemd user unit, and the link that enables it (what `systemctl --user enable` makes). */
export function systemdUnit(program: Program, where: Home): { unit: PlannedFile; wantsLink: string } {
  const dir = path.posix.join(xdgConfig(where), "systemd", "user");
  const text = [
    "[Unit]",
    "Description=Portrait Upscale daemon (local AI upscaling for Photoshop and GIMP)",
    "",
    "[Service]",
    `ExecStart=${quoted(program.node)} ${quoted(program.cli)} serve`,
    "Restart=on-failure",
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
  return {
    unit: { path: path.posix.join(dir, `${SERVICE_NAME}.service`), text },
    wantsLink: path.posix.join(dir, "default.target.wants", `${SERVICE_NAME}.service`),
  };
}

/** A desktop entry running `start`: the menu item, and the login item where systemd is absent. */
export function desktopEntry(program: Program, where: Home, kind: "menu" | "autostart"): PlannedFile {
  const dir = kind === "menu" ? path.posix.join(xdgData(where), "applications") : path.posix.join(xdgConfig(where), "autostart");
  const text = [
    "[Desktop Entry]",
    "Type=Application",
    "Name=Portrait Upscale",
    "Comment=Start the Portrait Upscale daemon for Photoshop and GIMP",
    `Exec=${quoted(program.node)} ${quoted(program.cli)} start`,
    "Terminal=false",
    "Categories=Graphics;",
    "",
  ].join("\n");
  return { path: path.posix.join(dir, `${SERVICE_NAME}.desktop`), text };
}

function xmlEscaped(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The macOS LaunchAgent: runs `serve` at login and again if it fails. */
export function launchAgent(program: Program, where: Home, logFile: string): PlannedFile {
  const text = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>${LAUNCH_AGENT_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
    <string>${xmlEscaped(program.node)}</string>
    <string>${xmlEscaped(program.cli)}</string>
    <string>serve</string>
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
  <key>StandardErrorPath</key><string>${xmlEscaped(logFile)}</string>
  <key>ProcessType</key><string>Background</string>
</dict>
</plist>
`;
  return { path: path.posix.join(where.home, "Library", "LaunchAgents", `${LAUNCH_AGENT_LABEL}.plist`), text };
}

/** `reg.exe` calls that register (and remove) the Windows login entry and the portrait-upscale:// link. */
export function windowsRegistry(clickScript: string): { add: string[][]; remove: string[][] } {
  const run = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
  const scheme = `HKCU\\Software\\Classes\\${URL_SCHEME}`;
  const command = `wscript.exe "${clickScript}"`;
  return {
    add: [
      ["reg", "add", run, "/v", "Portrait Upscale", "/t", "REG_SZ", "/d", command, "/f"],
      ["reg", "add", scheme, "/ve", "/d", "URL:Portrait Upscale", "/f"],
      ["reg", "add", scheme, "/v", "URL Protocol", "/d", "", "/f"],
      ["reg", "add", `${scheme}\\shell\\open\\command`, "/ve", "/d", command, "/f"],
    ],
    remove: [
      ["reg", "delete", run, "/v", "Portrait Upscale", "/f"],
      ["reg", "delete", scheme, "/f"],
    ],
  };
}

/** Adobe's installer for .ccx files, where Creative Cloud puts it. */
export function adobePluginInstaller(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | undefined {
  if (platform === "darwin") {
    return "/Library/Application Support/Adobe/Adobe Desktop Common/RemoteComponents/UPI/UnifiedPluginInstallerAgent/UnifiedPluginInstallerAgent.app/Contents/MacOS/UnifiedPluginInstallerAgent";
  }
  if (platform === "win32") {
    const common = env.CommonProgramFiles || "C:\\Program Files\\Common Files";
    return path.win32.join(common, "Adobe", "Adobe Desktop Common", "RemoteComponents", "UPI", "UnifiedPluginInstallerAgent", "UnifiedPluginInstallerAgent.exe");
  }
  return undefined;
}

/** What install registers on each platform, read as text on any platform; and config.json's version. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { CONFIG_VERSION, loadConfig, stampConfigVersion } from "../../src/config/config";
import { adobePluginInstaller, desktopEntry, launchAgent, systemdUnit, windowsRegistry } from "../../src/desktop/login-items";

const program = { node: "/opt/Portrait Upscale/runtime/node", cli: "/opt/Portrait Upscale/app/cli.js" };

describe("login items", () => {
  it("writes a systemd user unit that runs serve with the bundle's own runtime, and its enabling link", () => {
    const { unit, wantsLink } = systemdUnit(program, { home: "/home/ann", env: {} });
    expect(unit.path).toBe("/home/ann/.config/systemd/user/portrait-upscale.service");
    expect(wantsLink).toBe("/home/ann/.config/systemd/user/default.target.wants/portrait-upscale.service");
    expect(unit.text).toContain('ExecStart="/opt/Portrait Upscale/runtime/node" "/opt/Portrait Upscale/app/cli.js" serve\n');
    expect(unit.text).toContain("WantedBy=default.target");
    expect(systemdUnit(program, { home: "/home/ann", env: { XDG_CONFIG_HOME: "/cfg" } }).unit.path).toBe("/cfg/systemd/user/portrait-upscale.service");
  });

  it("quotes paths with quotes and dollars in desktop entries", () => {
    const odd = { node: '/x/a"b/node', cli: "/x/$HOME/cli.js" };
    const entry = desktopEntry(odd, { home: "/h", env: {} }, "autostart");
    expect(entry.path).toBe("/h/.config/autostart/portrait-upscale.desktop");
    expect(entry.text).toContain('Exec="/x/a\\"b/node" "/x/\\$HOME/cli.js" start\n');
    expect(desktopEntry(program, { home: "/h", env: {} }, "menu").path).toBe("/h/.local/share/applications/portrait-upscale.desktop");
  });

  it("writes a LaunchAgent with escaped paths that runs serve at login", () => {
    const agent = launchAgent({ node: "/Apps/A&B.app/node", cli: "/c.js" }, { home: "/Users/ann", env: {} }, "/Users/ann/log");
    expect(agent.path).toBe("/Users/ann/Library/LaunchAgents/com.portraitupscale.helper.plist");
    expect(agent.text).toContain("<string>/Apps/A&amp;B.app/node</string>\n    <string>/c.js</string>\n    <string>serve</string>");
    expect(agent.text).toContain("<key>RunAtLoad</key><true/>");
  });

  it("registers the Windows login entry and the portrait-upscale:// link, and removes both", () => {
    const { add, remove } = windowsRegistry("C:\\Users\\ann\\Portrait Upscale\\Portrait Upscale.vbs");
    const command = 'wscript.exe "C:\\Users\\ann\\Portrait Upscale\\Portrait Upscale.vbs"';
    expect(add).toContainEqual(["reg", "add", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "/v", "Portrait Upscale", "/t", "REG_SZ", "/d", command, "/f"]);
    expect(add).toContainEqual(["reg", "add", "HKCU\\Software\\Classes\\portrait-upscale\\shell\\open\\command", "/ve", "/d", command, "/f"]);
    expect(remove).toEqual([
      ["reg", "delete", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "/v", "Portrait Upscale", "/f"],
      ["reg", "delete", "HKCU\\Software\\Classes\\portrait-upscale", "/f"],
    ]);
  });

  it("knows where Adobe's plug-in installer lives, and that Linux has none", () => {
    expect(adobePluginInstaller("win32", { CommonProgramFiles: "D:\\Common" })).toBe(
      "D:\\Common\\Adobe\\Adobe Desktop Common\\RemoteComponents\\UPI\\UnifiedPluginInstallerAgent\\UnifiedPluginInstallerAgent.exe",
    );
    expect(adobePluginInstaller("darwin", {})).toMatch(/UnifiedPluginInstallerAgent\.app\/Contents\/MacOS\/UnifiedPluginInstallerAgent$/);
    expect(adobePluginInstaller("linux", {})).toBeUndefined();
  });
});

describe("config.json's version", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function folder(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "pu-config-version-"));
    dirs.push(dir);
    return dir;
  }

  it("is added to a config without one, keeping every setting", async () => {
    const dir = await folder();
    await writeFile(join(dir, "config.json"), JSON.stringify({ port: 8123, studioPresetFolder: "/studio" }));
    expect(await stampConfigVersion(dir)).toBe(CONFIG_VERSION);
    expect(JSON.parse(await readFile(join(dir, "config.json"), "utf8"))).toEqual({ version: CONFIG_VERSION, port: 8123, studioPresetFolder: "/studio" });
    expect((await loadConfig(dir)).version).toBe(CONFIG_VERSION);
  });

  it("from a newer release is refused with CONFIG_TOO_NEW and left untouched", async () => {
    const dir = await folder();
    const newer = JSON.stringify({ version: CONFIG_VERSION + 1, port: 8123 });
    await writeFile(join(dir, "config.json"), newer);
    const error = await loadConfig(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PortraitError);
    expect(error).toMatchObject({ code: "CONFIG_TOO_NEW", data: { version: CONFIG_VERSION + 1, supported: CONFIG_VERSION } });
    await expect(stampConfigVersion(dir)).rejects.toMatchObject({ code: "CONFIG_TOO_NEW" });
    expect(await readFile(join(dir, "config.json"), "utf8")).toBe(newer);
  });
});

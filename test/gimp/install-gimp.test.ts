import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "portrait-upscale/src/cli/main";
import {
  GIMP_PLUGIN_FILES,
  gimpBridgeSourceDir,
  gimpPluginDir,
  gimpProfileDir,
} from "portrait-upscale/src/cli/commands/install-gimp";
import { GIMP_FILES } from "@portrait-upscale/packaging/src/assemble";
import { repoPath } from "../support/paths";

/** Runs the real command line in-process and collects what it prints. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => (out += chunk));
  stderr.on("data", (chunk) => (err += chunk));
  const code = await runCli(args, { stdout, stderr, signal: new AbortController().signal, cwd: process.cwd(), env });
  return { code, stdout: out, stderr: err };
}

describe("GIMP profile folders per platform", () => {
  it("follows GIMP 3's defaults on Linux, Windows and macOS", () => {
    expect(gimpProfileDir({ env: {}, platform: "linux", home: "/home/ann" })).toBe("/home/ann/.config/GIMP/3.0");
    expect(gimpProfileDir({ env: { XDG_CONFIG_HOME: "/xdg" }, platform: "linux", home: "/home/ann" })).toBe("/xdg/GIMP/3.0");
    expect(gimpProfileDir({ env: { APPDATA: "C:\\Users\\ann\\AppData\\Roaming" }, platform: "win32", home: "C:\\Users\\ann" })).toBe(
      "C:\\Users\\ann\\AppData\\Roaming\\GIMP\\3.0",
    );
    expect(gimpProfileDir({ env: {}, platform: "win32", home: "C:\\Users\\ann" })).toBe("C:\\Users\\ann\\AppData\\Roaming\\GIMP\\3.0");
    expect(gimpProfileDir({ env: {}, platform: "darwin", home: "/Users/ann" })).toBe("/Users/ann/Library/Application Support/GIMP/3.0");
  });

  it("honours GIMP3_DIRECTORY, GIMP's own relocation variable", () => {
    expect(gimpProfileDir({ env: { GIMP3_DIRECTORY: "/portable/gimp" }, platform: "linux", home: "/home/ann" })).toBe("/portable/gimp");
  });

  it("puts the files in a folder named like the entry file", () => {
    expect(gimpPluginDir("/home/ann/.config/GIMP/3.0", "linux")).toBe("/home/ann/.config/GIMP/3.0/plug-ins/portrait-upscale");
    expect(gimpPluginDir("C:\\G\\3.0", "win32")).toBe("C:\\G\\3.0\\plug-ins\\portrait-upscale");
    expect(GIMP_PLUGIN_FILES[0].name).toBe("portrait-upscale.py");
  });

  it("finds the plug-in's sources in the repository", () => {
    expect(gimpBridgeSourceDir()).toBe(repoPath("gimp-bridge", "portrait-upscale"));
  });

  it("copies every Python file of the plug-in's folder, as the bundle does", async () => {
    const sources = (await readdir(gimpBridgeSourceDir())).filter((name) => name.endsWith(".py")).sort();
    expect(GIMP_PLUGIN_FILES.map((file) => file.name).sort()).toEqual(sources);
    expect(GIMP_FILES.map((file) => file.name).sort()).toEqual(sources);
    expect(GIMP_FILES.map((file) => file.mode)).toEqual(GIMP_PLUGIN_FILES.map((file) => file.mode));
  });
});

describe("install-gimp and uninstall-gimp", () => {
  let profile: string;
  beforeEach(async () => {
    profile = await mkdtemp(join(tmpdir(), "pu-gimp-profile-"));
  });
  afterEach(async () => {
    await rm(profile, { recursive: true, force: true });
  });

  it("copies the plug-in with an executable entry point and prints where", async () => {
    const { code, stdout } = await cli(["install-gimp", "--gimp-dir", profile]);
    expect(code).toBe(0);
    const dir = join(profile, "plug-ins", "portrait-upscale");
    expect(stdout).toContain(`Installed the GIMP plug-in into ${dir}:`);
    expect(stdout).toContain("Filters > Enhance > Upscale Portrait…");
    const entry = await stat(join(dir, "portrait-upscale.py"));
    const client = await stat(join(dir, "portrait_upscale_client.py"));
    if (process.platform !== "win32") {
      expect(entry.mode & 0o777).toBe(0o755);
      expect(client.mode & 0o777).toBe(0o644);
    }
    const copied = await readFile(join(dir, "portrait-upscale.py"), "utf8");
    expect(copied).toBe(await readFile(repoPath("gimp-bridge", "portrait-upscale", "portrait-upscale.py"), "utf8"));
    expect(copied.startsWith("#!/usr/bin/env python3\n")).toBe(true);
  });

  it("reinstalls over an older copy and drops its byte-code cache", async () => {
    const dir = join(profile, "plug-ins", "portrait-upscale");
    await mkdir(join(dir, "__pycache__"), { recursive: true });
    await writeFile(join(dir, "portrait-upscale.py"), "old", { mode: 0o600 });
    await writeFile(join(dir, "__pycache__", "portrait_upscale_client.cpython-313.pyc"), "stale");
    expect((await cli(["install-gimp", "--gimp-dir", profile])).code).toBe(0);
    expect(await readFile(join(dir, "portrait-upscale.py"), "utf8")).not.toBe("old");
    expect(existsSync(join(dir, "__pycache__"))).toBe(false);
    if (process.platform !== "win32") expect((await stat(join(dir, "portrait-upscale.py"))).mode & 0o777).toBe(0o755);
  });

  it("reports as JSON", async () => {
    const { code, stdout } = await cli(["install-gimp", "--gimp-dir", profile, "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(true);
    expect(report.files).toEqual(GIMP_PLUGIN_FILES.map((file) => join(profile, "plug-ins", "portrait-upscale", file.name)));
    expect(report.files).toContain(join(profile, "plug-ins", "portrait-upscale", "portrait_upscale_client.py"));
  });

  it("uninstalls its own files and the folder, and says when there is nothing to do", async () => {
    await cli(["install-gimp", "--gimp-dir", profile]);
    const dir = join(profile, "plug-ins", "portrait-upscale");
    const removed = await cli(["uninstall-gimp", "--gimp-dir", profile]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Removed the GIMP plug-in from ${dir}.`);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(profile, "plug-ins"))).toBe(true);
    const again = await cli(["uninstall-gimp", "--gimp-dir", profile]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`The GIMP plug-in is not installed in ${dir}; nothing to remove.\n`);
  });

  it("leaves files that are not its own", async () => {
    await cli(["install-gimp", "--gimp-dir", profile]);
    const dir = join(profile, "plug-ins", "portrait-upscale");
    await writeFile(join(dir, "notes.txt"), "mine");
    const { stdout } = await cli(["uninstall-gimp", "--gimp-dir", profile]);
    expect(stdout).toContain("Left alone (not ours): notes.txt");
    expect(existsSync(join(dir, "notes.txt"))).toBe(true);
    expect(existsSync(join(dir, "portrait-upscale.py"))).toBe(false);
  });

  it("fails with OUTPUT_UNWRITABLE when the profile cannot be written", async () => {
    const blocker = join(profile, "plug-ins");
    await writeFile(blocker, "a file where a folder should be");
    const { code, stderr } = await cli(["install-gimp", "--gimp-dir", profile]);
    expect(code).toBe(4);
    expect(stderr).toContain("portrait-upscale: OUTPUT_UNWRITABLE: The GIMP plug-in cannot be written to");
  });
});

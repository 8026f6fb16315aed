/**
 * `portrait-upscale install-gimp` / `uninstall-gimp`: puts the GIMP 3 plug-in where GIMP looks
 * for it. GIMP skips a Python plug-in silently unless it sits in a folder named like the file
 * and is executable, which is the top reason peers' plug-ins "never appear"; this gets it right.
 */
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PortraitError } from "@portrait-upscale/shared";
import type { CliCommand, CliContext } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";

/** The plug-in's folder and entry file name (GIMP requires them to match). */
export const GIMP_PLUGIN_NAME = "portrait-upscale";
/** The plug-in's Python modules beside its entry point (the client and its parts). */
const GIMP_PLUGIN_MODULES: readonly string[] = [
  "portrait_upscale_client.py",
  "portrait_upscale_constants.py",
  "portrait_upscale_errors.py",
  "portrait_upscale_token.py",
  "portrait_upscale_requests.py",
  "portrait_upscale_answers.py",
  "portrait_upscale_words.py",
  "portrait_upscale_choices.py",
  "portrait_upscale_connection.py",
  "portrait_upscale_watchdog.py",
];
/** Files copied, with their modes: the entry point must be executable. */
export const GIMP_PLUGIN_FILES: readonly { readonly name: string; readonly mode: number }[] = [
  { name: `${GIMP_PLUGIN_NAME}.py`, mode: 0o755 },
  ...GIMP_PLUGIN_MODULES.map((name) => ({ name, mode: 0o644 })),
];
/** GIMP's own variable that relocates its profile folder. */
export const GIMP_DIRECTORY_ENV = "GIMP3_DIRECTORY";

interface PlatformFacts {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly home: string;
}

/**
 * GIMP 3's profile folder (the one holding `plug-ins/`) for this user and platform.
 * @example gimpProfileDir({ env: {}, platform: "linux", home: "/home/ann" }) // "/home/ann/.config/GIMP/3.0"
 */
export function gimpProfileDir({ env, platform, home }: PlatformFacts): string {
  const join = platform === "win32" ? path.win32.join : path.posix.join;
  const override = env[GIMP_DIRECTORY_ENV];
  if (override) return override;
  if (platform === "win32") return join(env.APPDATA || join(home, "AppData", "Roaming"), "GIMP", "3.0");
  if (platform === "darwin") return join(home, "Library", "Application Support", "GIMP", "3.0");
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "GIMP", "3.0");
}

/** Where the plug-in's files go inside a GIMP profile folder. */
export function gimpPluginDir(profileDir: string, platform: NodeJS.Platform = process.platform): string {
  const join = platform === "win32" ? path.win32.join : path.join;
  return join(profileDir, "plug-ins", GIMP_PLUGIN_NAME);
}

/** The repository's `gimp-bridge/portrait-upscale`, found by walking up from this module (source or bundle). */
export function gimpBridgeSourceDir(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "gimp-bridge", GIMP_PLUGIN_NAME);
    if (existsSync(path.join(candidate, `${GIMP_PLUGIN_NAME}.py`))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new PortraitError("INTERNAL", `The GIMP plug-in's files (gimp-bridge/${GIMP_PLUGIN_NAME}) were not found above ${start}`, { start });
}

/** Copies the plug-in into `pluginDir` (created as needed); returns the files written. */
export async function installGimpPlugin(sourceDir: string, pluginDir: string): Promise<string[]> {
  try {
    await mkdir(pluginDir, { recursive: true });
    const written: string[] = [];
    for (const file of GIMP_PLUGIN_FILES) {
      const target = path.join(pluginDir, file.name);
      // Copy beside, then rename: a GIMP scanning plug-ins never sees half a file.
      const partial = `${target}.partial`;
      await copyFile(path.join(sourceDir, file.name), partial);
      await chmod(partial, file.mode);
      await rename(partial, target);
      written.push(target);
    }
    // A stale byte-code cache from an older version must not shadow the new client module.
    await rm(path.join(pluginDir, "__pycache__"), { recursive: true, force: true });
    return written;
  } catch (error) {
    if (error instanceof PortraitError) throw error;
    throw new PortraitError("OUTPUT_UNWRITABLE", `The GIMP plug-in cannot be written to ${pluginDir}: ${(error as Error).message}`, {
      path: pluginDir,
    });
  }
}

/**
 * Removes the plug-in's files (and the folder when nothing else is left in it).
 * Returns what was removed and whatever foreign files were left alone.
 */
export async function uninstallGimpPlugin(pluginDir: string): Promise<{ removed: string[]; kept: string[] }> {
  const removed: string[] = [];
  try {
    for (const file of GIMP_PLUGIN_FILES) {
      const target = path.join(pluginDir, file.name);
      if (existsSync(target)) {
        await rm(target, { force: true });
        removed.push(target);
      }
    }
    const cache = path.join(pluginDir, "__pycache__");
    if (existsSync(cache)) {
      await rm(cache, { recursive: true, force: true });
      removed.push(cache);
    }
    if (!existsSync(pluginDir)) return { removed, kept: [] };
    const kept = (await readdir(pluginDir)).map((name) => path.join(pluginDir, name));
    if (kept.length === 0) {
      await rmdir(pluginDir);
      removed.push(pluginDir);
    }
    return { removed, kept };
  } catch (error) {
    throw new PortraitError("OUTPUT_UNWRITABLE", `The GIMP plug-in cannot be removed from ${pluginDir}: ${(error as Error).message}`, {
      path: pluginDir,
    });
  }
}

function profileDirOf(context: CliContext): string {
  const given = context.values["gimp-dir"];
  if (typeof given === "string" && given.length > 0) return path.resolve(context.cwd, given);
  return gimpProfileDir({ env: context.env, platform: process.platform, home: homedir() });
}

/** GIMP from Flathub keeps its profile inside the sandbox's folder; point at it when it exists. */
function flatpakHint(context: CliContext, chosen: string): string | undefined {
  if (process.platform !== "linux" || typeof context.values["gimp-dir"] === "string") return undefined;
  const flatpak = path.join(homedir(), ".var", "app", "org.gimp.GIMP", "config", "GIMP", "3.0");
  if (flatpak === chosen || !existsSync(flatpak)) return undefined;
  return `GIMP from Flathub uses ${flatpak}; if that is your GIMP, run again with --gimp-dir "${flatpak}".`;
}

const GIMP_DIR_OPTION = {
  type: "string",
  valueName: "DIR",
  description: "GIMP 3's profile folder (the one holding plug-ins/); default: the platform's, or $GIMP3_DIRECTORY.",
} as const;

export const installGimpCommand: CliCommand = {
  name: "install-gimp",
  summary: "Install the GIMP 3 plug-in (Filters > Enhance > Upscale Portrait…).",
  usage: ["install-gimp [--gimp-dir DIR] [--json]"],
  details: [
    "Copies gimp-bridge/portrait-upscale into GIMP's plug-ins folder:",
    "  Linux    ~/.config/GIMP/3.0/plug-ins/portrait-upscale   (or $XDG_CONFIG_HOME/GIMP/3.0)",
    "  Windows  %APPDATA%\\GIMP\\3.0\\plug-ins\\portrait-upscale",
    "  macOS    ~/Library/Application Support/GIMP/3.0/plug-ins/portrait-upscale",
    "Restart GIMP afterwards. The plug-in talks to `portrait-upscale serve` on 127.0.0.1:7421.",
  ].join("\n"),
  options: {
    "gimp-dir": GIMP_DIR_OPTION,
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  async run(context) {
    const profile = profileDirOf(context);
    const pluginDir = gimpPluginDir(profile);
    const profileExisted = existsSync(profile);
    const files = await installGimpPlugin(gimpBridgeSourceDir(), pluginDir);
    const hint = flatpakHint(context, profile);
    if (context.values.json) {
      writeJson(context, { ok: true, pluginDir, files, ...(hint ? { hint } : {}) });
      return EXIT_CODES.ok;
    }
    const lines = [`Installed the GIMP plug-in into ${pluginDir}:`, ...files.map((file) => `  ${path.basename(file)}`)];
    if (!profileExisted) lines.push(`Note: ${profile} did not exist yet (GIMP 3 creates it on its first start); it was created.`);
    if (hint) lines.push(hint);
    lines.push("Restart GIMP, then use Filters > Enhance > Upscale Portrait… with the daemon running (npx portrait-upscale serve).");
    context.stdout.write(`${lines.join("\n")}\n`);
    return EXIT_CODES.ok;
  },
};

export const uninstallGimpCommand: CliCommand = {
  name: "uninstall-gimp",
  summary: "Remove the GIMP 3 plug-in installed by install-gimp.",
  usage: ["uninstall-gimp [--gimp-dir DIR] [--json]"],
  options: {
    "gimp-dir": GIMP_DIR_OPTION,
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  async run(context) {
    const pluginDir = gimpPluginDir(profileDirOf(context));
    const isDir = await stat(pluginDir).then((s) => s.isDirectory(), () => false);
    const { removed, kept } = isDir ? await uninstallGimpPlugin(pluginDir) : { removed: [], kept: [] };
    if (context.values.json) {
      writeJson(context, { ok: true, pluginDir, removed, kept });
      return EXIT_CODES.ok;
    }
    if (removed.length === 0) {
      context.stdout.write(`The GIMP plug-in is not installed in ${pluginDir}; nothing to remove.\n`);
      return EXIT_CODES.ok;
    }
    const lines = [`Removed the GIMP plug-in from ${pluginDir}.`];
    if (kept.length > 0) lines.push(`Left alone (not ours): ${kept.map((file) => path.basename(file)).join(", ")}`);
    lines.push("Restart GIMP to drop it from the menus.");
    context.stdout.write(`${lines.join("\n")}\n`);
    return EXIT_CODES.ok;
  },
};

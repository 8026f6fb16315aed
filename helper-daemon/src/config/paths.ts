/**
 * Where the daemon keeps its configuration, token and log: the platform's per-user config
 * folder, so a second user on the same machine has their own token.
 */
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** Environment variable that replaces the config folder (tests, portable installs). */
export const CONFIG_DIR_ENV = "PORTRAIT_UPSCALE_CONFIG_DIR";
/** Environment variable that replaces the root of the daemon's temporary folders. */
export const TEMP_DIR_ENV = "PORTRAIT_UPSCALE_TMPDIR";

const APP_FOLDER = "portrait-upscale";

/** The config folder for this user and platform; `PORTRAIT_UPSCALE_CONFIG_DIR` wins. */
export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env[CONFIG_DIR_ENV];
  if (override) return override;
  if (platform === "win32") return join(env.APPDATA || join(homedir(), "AppData", "Roaming"), APP_FOLDER);
  if (platform === "darwin") return join(homedir(), "Library", "Application Support", APP_FOLDER);
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), APP_FOLDER);
}

/** The root under which each daemon run makes its own temporary folder. */
export function tempRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env[TEMP_DIR_ENV] || tmpdir();
}

/** The files inside the config folder. */
export function configFiles(dir: string): { config: string; token: string; log: string } {
  return { config: join(dir, "config.json"), token: join(dir, "token"), log: join(dir, "daemon.log") };
}

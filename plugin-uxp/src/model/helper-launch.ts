/**
 * Starting the Portrait Upscale helper (the daemon) from the panel. `portrait-upscale install`
 * registers the portrait-upscale:// link on Windows and macOS; opening it starts the daemon in
 * the background. When nothing handles the link, the helper is not installed, and the panel
 * says what to download, with the link.
 */

/** Opened through UXP's launchProcess permission (manifest: requiredPermissions.launchProcess.schemes). */
export const HELPER_START_URL = "portrait-upscale://start";
/** Where the desktop bundles are downloaded. */
export const HELPER_DOWNLOAD_URL = "https://portraitupscale.com/download";
/** Shown by Photoshop in the consent dialog before it opens the link. */
export const HELPER_START_REASON = "Start Portrait Upscale, the helper that upscales on this computer.";

/** What the panel knows about the helper when the daemon does not answer. */
export type HelperState =
  /** The start link was opened; the panel reconnects shortly. */
  | "starting"
  /** Nothing handled the start link: the helper must be installed. */
  | "not-installed";

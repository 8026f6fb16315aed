/** The product version, reported by `--version`, `doctor` and the daemon's health endpoint. */
export const VERSION = "0.1.0";

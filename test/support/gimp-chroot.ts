/**
 * The Debian trixie chroot with a real GIMP 3 (scripts/gimp-chroot.sh): a clean Linux without
 * Node.js, used by the GIMP end-to-end tests and by the desktop bundle's tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoPath, repoRoot } from "./paths";

/** Where the chroot is: PORTRAIT_UPSCALE_GIMP_ROOT, else .cache/gimp-chroot in the repository. */
export const CHROOT = process.env.PORTRAIT_UPSCALE_GIMP_ROOT || repoPath(".cache", "gimp-chroot");

/** Builds the chroot when it is missing; any failure is an error, never a skip. */
export function ensureChroot(): void {
  if (existsSync(join(CHROOT, "usr", "bin", "gimp-console"))) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`GIMP 3 is not available at ${CHROOT} and building it needs root (chroot, debootstrap). ` +
      "Run `sudo bash scripts/gimp-chroot.sh`, or set PORTRAIT_UPSCALE_SKIP_GIMP=1 to skip the GIMP tests.");
  }
  const build = spawnSync("bash", [repoPath("scripts", "gimp-chroot.sh")], { cwd: repoRoot, encoding: "utf8", timeout: 15 * 60_000 });
  if (build.status !== 0 || !existsSync(join(CHROOT, "usr", "bin", "gimp-console"))) {
    throw new Error(`scripts/gimp-chroot.sh could not provide GIMP 3 at ${CHROOT} (exit ${build.status}):\n${build.stderr?.slice(-3000) ?? ""}`);
  }
}

// Runs first in `npm test`: makes sure the end-to-end tests find what they drive — Chromium
// (the panel's browser tests), python3 (the GIMP bridge's tests), redis-server (the studio
// queue's tests) and a GIMP 3 chroot (the GIMP tests). As root on Debian it installs what is missing, once (the chroot is cached in
// .cache/gimp-chroot); otherwise it stops at once and prints the one command to run.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const skipGimp = process.env.PORTRAIT_UPSCALE_SKIP_GIMP === "1";
const gimpRoot = process.env.PORTRAIT_UPSCALE_GIMP_ROOT || join(repo, ".cache", "gimp-chroot");
/** What the tests need, the Debian package that brings each, and how to tell it is there. */
const PACKAGES = [
  { name: "chromium", present: () => existsSync("/usr/bin/chromium"), forGimp: false },
  { name: "python3", present: () => onPath("python3"), forGimp: false },
  { name: "redis-server", present: () => onPath("redis-server"), forGimp: false },
  { name: "debootstrap", present: () => onPath("debootstrap"), forGimp: true },
];

function onPath(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function run(command, args) {
  console.log(`provision: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit", cwd: repo });
  if (result.status !== 0) {
    console.error(`provision: \`${command} ${args.join(" ")}\` failed (exit ${result.status}).`);
    process.exit(1);
  }
}

const missingPackages = PACKAGES.filter((pkg) => !(skipGimp && pkg.forGimp) && !pkg.present()).map((pkg) => pkg.name);
const gimpMissing = !skipGimp && !existsSync(join(gimpRoot, "usr", "bin", "gimp-console"));
if (missingPackages.length === 0 && !gimpMissing) process.exit(0);

const isRoot = process.getuid?.() === 0;
const isDebian = existsSync("/etc/debian_version") && onPath("apt-get");
if (!isRoot || !isDebian) {
  const what = [...missingPackages, ...(gimpMissing ? ["the GIMP 3 chroot"] : [])].join(", ");
  console.error(
    `npm test: the end-to-end tests need ${what}, which this run cannot install (it needs root on Debian).\n` +
      `Run once:  sudo node scripts/provision-e2e.mjs\n` +
      `(or set PORTRAIT_UPSCALE_SKIP_GIMP=1 to leave the GIMP tests out on purpose).`,
  );
  process.exit(1);
}
if (missingPackages.length > 0) {
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missingPackages]);
}
if (gimpMissing) run("bash", [join("scripts", "gimp-chroot.sh")]);

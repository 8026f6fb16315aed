// `npm run fuzz [-- CASES [SEED]]`: the daemon's fuzz suite with many more cases than `npm test`
// plays (default 50,000), against a freshly built daemon.
import { spawnSync } from "node:child_process";

const [cases = "50000", seed] = process.argv.slice(2);
if (!/^\d+$/.test(cases) || (seed !== undefined && !/^\d+$/.test(seed))) {
  console.error("usage: npm run fuzz -- [CASES] [SEED]");
  process.exit(2);
}
const env = { ...process.env, PORTRAIT_UPSCALE_FUZZ_CASES: cases, ...(seed !== undefined ? { PORTRAIT_UPSCALE_FUZZ_SEED: seed } : {}) };
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
const built = spawnSync("npm", ["run", "build", "-w", "helper-daemon"], { stdio: "inherit", env, shell: process.platform === "win32" });
if (built.status !== 0) process.exit(built.status ?? 1);
const run = spawnSync(npx, ["vitest", "run", "helper-daemon/test/daemon/fuzz-daemon.test.ts"], { stdio: "inherit", env, shell: process.platform === "win32" });
process.exit(run.status ?? 1);

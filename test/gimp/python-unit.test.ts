import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoPath, repoRoot } from "../support/paths";

// The GIMP bridge's client is Python (GIMP's bundled interpreter); its unittest suite runs here
// so that `npm test` covers it too.
describe("GIMP bridge Python unit tests", () => {
  it("pass under python3 -m unittest", () => {
    const run = spawnSync("python3", ["-m", "unittest", "discover", "-s", repoPath("gimp-bridge", "tests"), "-t", repoPath("gimp-bridge", "tests")], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      timeout: 120_000,
    });
    if (run.error) throw new Error(`python3 could not be started: ${run.error.message}`);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(run.stderr).toMatch(/Ran \d+ tests/);
    expect(run.stderr).toMatch(/\nOK/);
  });
});

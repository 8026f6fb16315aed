/**
 * The bundles are replaced atomically: tests rebuild `helper-daemon/dist` while other tests run
 * the CLI, and a CLI that loaded a half-written inference worker failed with INFERENCE_FAILED.
 */
import { mkdtempSync, openSync, readFileSync, readSync, closeSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildAtomically } from "../../scripts/build-atomic.mjs";

const dir = mkdtempSync(join(tmpdir(), "portrait-upscale-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(source: string): Promise<string> {
  writeFileSync(join(dir, "entry.js"), source);
  await buildAtomically({ entryPoints: [join(dir, "entry.js")], outdir: join(dir, "out"), bundle: true, platform: "node", format: "esm", logLevel: "silent" });
  return join(dir, "out", "entry.js");
}

describe("buildAtomically", () => {
  it("leaves an unchanged output untouched, and renames a changed one over the old file", async () => {
    const output = await bundle('export const word = "first";\n');
    const before = statSync(output);
    await bundle('export const word = "first";\n');
    const unchanged = statSync(output);
    expect([unchanged.ino, unchanged.mtimeMs]).toEqual([before.ino, before.mtimeMs]);

    // A reader that opened the old file keeps reading all of it while the new one replaces it.
    const reader = openSync(output, "r");
    const old = readFileSync(output, "utf8");
    await bundle(`export const word = "${"second".repeat(1000)}";\n`);
    const seen = Buffer.alloc(old.length + 10);
    const length = readSync(reader, seen, 0, seen.length, 0);
    closeSync(reader);
    expect(seen.subarray(0, length).toString("utf8")).toBe(old);
    expect(statSync(output).ino).not.toBe(before.ino);
    expect(readFileSync(output, "utf8")).toContain("secondsecond");
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["entry.js"]);
  });
});

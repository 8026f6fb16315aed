/**
 * The shipped plug-in: the manifest says what Photoshop and UXP need, the build has every
 * file it names, and the .ccx is a zip with manifest.json at its root and readable modes.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PORT } from "@portrait-upscale/shared";

const pluginDir = fileURLToPath(new URL("..", import.meta.url));
let out = "";

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "pu-uxp-build-"));
  const script = `
    const { buildPanel } = await import(${JSON.stringify(join(pluginDir, "build.mjs"))});
    const { packageCcx } = await import(${JSON.stringify(join(pluginDir, "scripts", "package-ccx.mjs"))});
    await buildPanel(${JSON.stringify(out)});
    packageCcx(${JSON.stringify(out)});`;
  execFileSync(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the plug-in package", () => {
  const manifest = JSON.parse(readFileSync(join(pluginDir, "manifest.json"), "utf8"));

  it("asks for Photoshop with the imaging API and names the daemon's port on both loopback names", () => {
    expect(manifest.manifestVersion).toBe(5);
    expect(manifest.host.app).toBe("PS");
    const [major, minor] = manifest.host.minVersion.split(".").map(Number);
    expect(major * 100 + minor).toBeGreaterThanOrEqual(2404);
    expect(manifest.requiredPermissions.localFileSystem).toBe("plugin");
    const domains: string[] = manifest.requiredPermissions.network.domains;
    for (const scheme of ["ws", "http"]) for (const host of ["127.0.0.1", "localhost"]) expect(domains).toContain(`${scheme}://${host}:${DEFAULT_PORT}`);
    expect(domains).not.toContain("all");
  });

  it("has one panel entry point whose id the code registers, and every icon it names", () => {
    const panels = manifest.entrypoints.filter((entry: { type: string }) => entry.type === "panel");
    expect(panels).toHaveLength(1);
    expect(readFileSync(join(pluginDir, "src", "index.tsx"), "utf8")).toContain(`PANEL_ID = "${panels[0].id}"`);
    const icons = [...manifest.icons, ...panels[0].icons] as { path: string; scale: number[] }[];
    for (const icon of icons) {
      for (const scale of icon.scale) expect(existsSync(join(out, scale === 1 ? icon.path : icon.path.replace(/\.png$/, `@${scale}x.png`)))).toBe(true);
    }
    for (const file of ["index.html", "index.js", "index.css", "manifest.json"]) expect(existsSync(join(out, file))).toBe(true);
    expect(readFileSync(join(out, "index.js"), "utf8")).toContain('__require("photoshop")');
  });

  it("packs a .ccx with manifest.json at its root, files 0644 and folders 0755", () => {
    const listing = execFileSync(
      "python3",
      [
        "-c",
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(oct(i.external_attr >> 16), i.filename)",
        join(out, "portrait-upscale.ccx"),
      ],
      { encoding: "utf8" },
    )
      .trim()
      .split("\n");
    expect(listing).toContain("0o100644 manifest.json");
    expect(listing).toContain("0o40755 icons/");
    expect(listing).toContain("0o100644 index.js");
    for (const line of listing) expect(line).toMatch(/^0o(100644|40755) /);
    expect(listing.some((line) => line.endsWith(".ccx"))).toBe(false);
  });
});

/**
 * The linux-x64 desktop bundle on a Linux without Node.js or npm: the GIMP chroot
 * (scripts/gimp-chroot.sh, Debian trixie). Started from its launcher, the bundle runs the first
 * upscale, serves the daemon (health and a job over HTTP), serves the GIMP plug-in it installed
 * into a real GIMP 3, and `install` / `uninstall` create and remove the systemd user unit,
 * leaving nothing behind. Needs root (chroot), like the GIMP tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROOT, ensureChroot } from "../support/gimp-chroot";
import { repoPath } from "../support/paths";
import { decodePixels, type ReferencePixels } from "../gimp/e2e-daemon";
import { buildBundles, bundleFolder } from "./support";
import { freePort } from "portrait-upscale/src/queue/private-redis";

const FIXTURE = repoPath("test", "fixtures", "astronaut-face-64.png");
const PRESET = "fast-preview";

function maxDifference(a: ReferencePixels, b: ReferencePixels): number {
  expect([a.width, a.height, a.channels, a.bitDepth]).toEqual([b.width, b.height, b.channels, b.bitDepth]);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  return worst;
}

/** Every path below `dir` (files, links and folders), relative and sorted. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((entry) => relative(dir, join(dir, entry))).sort();
}

describe("the linux-x64 bundle on a Linux without Node.js", () => {
  let work = "";
  let inner = "";
  let bundle = "";
  let port = 0;
  let reference: ReferencePixels;
  let referenceDir = "";

  const host = (innerPath: string): string => join(CHROOT, innerPath);
  const homeOf = (name: string): string => `${inner}/${name}`;
  /** Runs a command inside the chroot with a clean environment (no Node.js there, none on PATH). */
  function inChroot(home: string, argv: readonly string[], extraEnv: readonly string[] = []): { status: number | null; output: string } {
    const result = spawnSync(
      "chroot",
      [CHROOT, "env", "-i", `HOME=${home}`, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", ...extraEnv, ...argv],
      { encoding: "utf8", timeout: 300_000 },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  beforeAll(async () => {
    ensureChroot();
    work = await mkdtemp(join(CHROOT, "tmp", "pu-bundle-"));
    inner = `/tmp/${basename(work)}`;
    await buildBundles(["linux-x64"], join(work, "bundles"));
    bundle = `${inner}/bundles/${basename(bundleFolder(join(work, "bundles"), "linux-x64"))}`;
    await mkdir(join(work, "in"), { recursive: true });
    await copyFile(FIXTURE, join(work, "in", "face.png"));
    // The reference: the checkout's own command line on the same file.
    referenceDir = await mkdtemp(join(tmpdir(), "pu-bundle-ref-"));
    const out = join(referenceDir, "ref.png");
    const cli = spawnSync(process.execPath, [repoPath("helper-daemon", "bin", "portrait-upscale.js"), "upscale", FIXTURE, "-o", out, "--preset", PRESET, "--provider", "cpu"], {
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    reference = await decodePixels(out);
    port = await freePort();
  }, 900_000);

  afterAll(async () => {
    if (bundle) inChroot(homeOf("daemon-home"), [`${bundle}/portrait-upscale`, "stop"]);
    if (work) await rm(work, { recursive: true, force: true });
    if (referenceDir) await rm(referenceDir, { recursive: true, force: true });
  });

  it("has no Node.js and no npm on the PATH of the environment it runs in", () => {
    const probe = inChroot(homeOf("probe"), ["sh", "-c", "command -v node || command -v nodejs || command -v npm || echo none"]);
    expect(probe.output.trim()).toBe("none");
  });

  it("runs the first upscale from its launcher, with the same pixels as the checkout's command line", async () => {
    const result = inChroot(homeOf("cli-home"), [`${bundle}/portrait-upscale`, "upscale", `${inner}/in/face.png`, "-o", `${inner}/in/out.png`, "--preset", PRESET, "--provider", "cpu"]);
    expect(result.status, result.output).toBe(0);
    expect(maxDifference(await decodePixels(host(`${inner}/in/out.png`)), reference)).toBeLessThanOrEqual(1);
  });

  it("starts the daemon in the background from its launcher and serves health and a job over HTTP", async () => {
    const home = homeOf("daemon-home");
    await mkdir(host(`${home}/.config/portrait-upscale`), { recursive: true });
    await writeFile(host(`${home}/.config/portrait-upscale/config.json`), JSON.stringify({ port }));
    // No arguments: what a double-click runs.
    const started = inChroot(home, [`${bundle}/portrait-upscale`]);
    expect(started.status, started.output).toBe(0);
    expect(started.output).toContain(`Portrait Upscale is running on http://127.0.0.1:${port}`);
    const url = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${url}/v1/health`)).json()).toMatchObject({ name: "portrait-upscale", protocol: 1 });

    const token = (await readFile(host(`${home}/.config/portrait-upscale/token`), "utf8")).trim();
    const auth = { Authorization: `Bearer ${token}` };
    const submitted = await fetch(`${url}/v1/jobs?preset=${PRESET}`, { method: "POST", headers: auth, body: await readFile(FIXTURE) });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const events = (await (await fetch(`${url}/v1/jobs/${id}/events`, { headers: auth })).text()).trim().split("\n");
    expect(JSON.parse(events[events.length - 1])).toMatchObject({ type: "done" });
    const result = Buffer.from(await (await fetch(`${url}/v1/jobs/${id}/result`, { headers: auth })).arrayBuffer());
    await writeFile(join(work, "job.png"), result);
    expect(maxDifference(await decodePixels(join(work, "job.png")), reference)).toBeLessThanOrEqual(1);

    const again = inChroot(home, [`${bundle}/portrait-upscale`, "start"]);
    expect(again.output).toContain("already running");
  });

  it("serves the GIMP plug-in it installs: a real GIMP 3 upscales through the bundle's daemon", async () => {
    const home = homeOf("daemon-home");
    const installed = inChroot(home, [`${bundle}/portrait-upscale`, "install", "--no-start"]);
    expect(installed.status, installed.output).toBe(0);
    await copyFile(repoPath("test", "gimp", "batch.py"), host(`${home}/batch.py`));
    const spec = {
      report: `${home}/report.json`,
      cases: [{ name: "rgb8", input: `${inner}/in/face.png`, format: "R'G'B' u8", output: `${home}/rgb8.raw`, args: { "daemon-url": `http://127.0.0.1:${port}`, scale: 2, preset: PRESET } }],
    };
    await writeFile(host(`${home}/spec.json`), JSON.stringify(spec));
    const gimp = inChroot(
      home,
      ["gimp-console", "-i", "-n", "-d", "-f", "--batch-interpreter", "python-fu-eval", "-b", `exec(open("${home}/batch.py").read())`, "--quit"],
      [`PU_SPEC=${home}/spec.json`, `PORTRAIT_UPSCALE_URL=http://127.0.0.1:${port}`],
    );
    expect(gimp.status, gimp.output.slice(-3000)).toBe(0);
    const report = JSON.parse(await readFile(host(`${home}/report.json`), "utf8")) as { cases: { status: string; message?: string }[] };
    expect(report.cases[0].status, report.cases[0].message).toBe("success");
    const layer = await readFile(host(`${home}/rgb8.raw`));
    expect(reference.channels).toBe(3);
    expect(maxDifference({ ...reference, data: layer }, reference)).toBeLessThanOrEqual(1);
    expect(inChroot(home, [`${bundle}/portrait-upscale`, "uninstall"]).status).toBe(0);
  });

  it("install creates the systemd user unit (saying why systemd cannot start it here) and uninstall leaves nothing behind", async () => {
    const home = homeOf("install-home");
    await mkdir(host(home), { recursive: true });
    const before = tree(host(home));
    const installed = inChroot(home, [`${bundle}/portrait-upscale`, "install", "--no-start"]);
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain("login item: systemd");
    expect(installed.output).toContain("systemd's user manager is not running here");
    const unit = await readFile(host(`${home}/.config/systemd/user/portrait-upscale.service`), "utf8");
    expect(unit).toContain(`ExecStart="${bundle}/runtime/node" "${bundle}/app/cli.js" serve`);
    expect(lstatSync(host(`${home}/.config/systemd/user/default.target.wants/portrait-upscale.service`)).isSymbolicLink()).toBe(true);
    expect(existsSync(host(`${home}/.config/GIMP/3.0/plug-ins/portrait-upscale/portrait-upscale.py`))).toBe(true);
    expect(existsSync(host(`${home}/.local/share/applications/portrait-upscale.desktop`))).toBe(true);

    const removed = inChroot(home, [`${bundle}/portrait-upscale`, "uninstall"]);
    expect(removed.status, removed.output).toBe(0);
    expect(tree(host(home))).toEqual(before);
  });

  it("keeps the token and settings across uninstall and reinstall, and --purge removes them too", async () => {
    const home = homeOf("update-home");
    const config = `${home}/.config/portrait-upscale`;
    await mkdir(host(config), { recursive: true });
    await writeFile(host(`${config}/config.json`), JSON.stringify({ port: await freePort() }));
    await mkdir(host(`${config}/presets`), { recursive: true });
    await writeFile(host(`${config}/presets/mine.json`), "{}");
    expect(inChroot(home, [`${bundle}/portrait-upscale`, "install"]).status).toBe(0);
    const token = await readFile(host(`${config}/token`), "utf8");
    // The installed config now says which version wrote it.
    expect(JSON.parse(await readFile(host(`${config}/config.json`), "utf8"))).toMatchObject({ version: 1 });
    expect(inChroot(home, [`${bundle}/portrait-upscale`, "uninstall"]).status).toBe(0);
    expect(inChroot(home, [`${bundle}/portrait-upscale`, "install", "--no-start"]).status).toBe(0);
    expect(await readFile(host(`${config}/token`), "utf8")).toBe(token);
    expect(existsSync(host(`${config}/presets/mine.json`))).toBe(true);
    expect(inChroot(home, [`${bundle}/portrait-upscale`, "uninstall", "--purge"]).status).toBe(0);
    // Only the folder the settings were put in before install is left.
    expect(tree(host(home))).toEqual([".config"]);
  });

  it("refuses a config written by a newer release instead of downgrading it", async () => {
    const home = homeOf("newer-home");
    await mkdir(host(`${home}/.config/portrait-upscale`), { recursive: true });
    await writeFile(host(`${home}/.config/portrait-upscale/config.json`), JSON.stringify({ version: 99, port: await freePort() }));
    const result = inChroot(home, [`${bundle}/portrait-upscale`, "start"]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("CONFIG_TOO_NEW");
    expect(JSON.parse(await readFile(host(`${home}/.config/portrait-upscale/config.json`), "utf8"))).toMatchObject({ version: 99 });
  });
});

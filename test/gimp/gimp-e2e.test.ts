/**
 * End to end in a real GIMP 3: the project's installer puts the plug-in into a profile inside a
 * Debian trixie chroot (scripts/gimp-chroot.sh), a daemon listens on the host's 127.0.0.1 (the
 * chroot shares the network), and gimp-console runs test/gimp/batch.py, which calls
 * python-fu-portrait-upscale non-interactively and dumps the new layers' pixels.
 *
 * Needs root (chroot). Fails loudly when GIMP cannot be provided; set PORTRAIT_UPSCALE_SKIP_GIMP=1
 * to skip deliberately. PORTRAIT_UPSCALE_GIMP_ROOT moves the chroot.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "portrait-upscale/src/cli/main";
import { CHROOT, ensureChroot } from "../support/gimp-chroot";
import { repoPath, repoRoot } from "../support/paths";
import { e2eDaemonKind, startE2eDaemon, type E2eDaemon } from "./e2e-daemon";
import { freePort } from "portrait-upscale/src/queue/private-redis";

const SKIP = process.env.PORTRAIT_UPSCALE_SKIP_GIMP === "1";
const FIXTURE = repoPath("test", "fixtures", "astronaut-face-64.png");
/** The compact model's preset keeps the real-model cases quick; one case runs the daemon's default preset. */
const FAST = "fast-preview";

interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly bitDepth: 8 | 16;
  readonly data: Buffer;
}

interface CaseSpec {
  readonly name: string;
  readonly input: string;
  readonly format: string;
  readonly output: string;
  readonly args: Record<string, string | number>;
  readonly offsets?: readonly [number, number];
  readonly precision?: string;
}

interface CaseReport {
  readonly name: string;
  readonly status: string;
  readonly message?: string;
  readonly sameImage?: boolean;
  readonly imageSize?: [number, number];
  readonly imageSizeAfter?: [number, number];
  readonly layerSize?: [number, number];
  readonly layerName?: string;
  readonly layerOffsets?: [number, number];
  readonly layerHasAlpha?: boolean;
  readonly layerNames?: string[];
  readonly layerCountBefore?: number;
  readonly layerCountAfter?: number;
  readonly originalUntouched?: boolean;
  readonly originalOffsets?: [number, number];
  readonly originalOffsetsBefore?: [number, number];
  readonly originalSize?: [number, number];
  readonly precision?: string;
  readonly baseType?: string;
}

/** Largest difference between two same-shaped images, in levels of their bit depth. */
function maxDifference(a: Pixels, b: Pixels): number {
  expect([a.width, a.height, a.channels, a.bitDepth]).toEqual([b.width, b.height, b.channels, b.bitDepth]);
  let worst = 0;
  if (a.bitDepth === 16) {
    for (let i = 0; i < a.data.length; i += 2) worst = Math.max(worst, Math.abs(a.data.readUInt16LE(i) - b.data.readUInt16LE(i)));
  } else {
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  }
  return worst;
}

/** Makes the test inputs from the 64 px fixture: 8-bit RGB, 16-bit RGB, RGBA with varied alpha, grey. */
async function makeInputs(dir: string): Promise<Record<string, string>> {
  const rgb8 = join(dir, "rgb8.png");
  await copyFile(FIXTURE, rgb8);
  const source = await sharp(FIXTURE).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = source.info;
  const rgb16 = join(dir, "rgb16.png");
  // Full-range 16-bit samples (v × 257) with a ramp in the low byte, so the low bits matter.
  const wide = new Uint16Array(width * height * 3);
  for (let i = 0; i < wide.length; i++) wide[i] = Math.min(65535, source.data[i] * 257 + (i % 97));
  await sharp(wide, { raw: { width, height, channels: 3 } }).toColourspace("rgb16").png().toFile(rgb16);
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    source.data.copy(rgba, i * 4, i * 3, i * 3 + 3);
    // Alpha from 40 to 255 across the image: never fully transparent, so every colour is defined.
    rgba[i * 4 + 3] = 40 + Math.round((215 * (i % width)) / (width - 1));
  }
  const rgba8 = join(dir, "rgba8.png");
  await sharp(rgba, { raw: { width, height, channels: 4 } }).png().toFile(rgba8);
  const grey8 = join(dir, "grey8.png");
  await sharp(FIXTURE).greyscale().toColourspace("b-w").png().toFile(grey8);
  return { rgb8, rgb16, rgba8, grey8 };
}

describe.skipIf(SKIP)(`Upscale Portrait in a real GIMP 3, against the ${e2eDaemonKind() === "daemon" ? "real daemon" : "stand-in daemon"}`, () => {
  let home = "";
  let inner = "";
  let daemon: E2eDaemon | undefined;
  let reports = new Map<string, CaseReport>();
  let inputs: Record<string, string> = {};
  let gimpLog = "";

  const hostPath = (innerPath: string): string => join(CHROOT, innerPath);
  const caseOutput = (name: string): string => `${inner}/out/${name}.raw`;

  beforeAll(async () => {
    ensureChroot();
    home = await mkdtemp(join(CHROOT, "tmp", "pu-gimp-e2e-"));
    inner = `/tmp/${basename(home)}`;
    await mkdir(join(home, "in"), { recursive: true });
    await mkdir(join(home, "out"), { recursive: true });
    await mkdir(join(home, "config"), { recursive: true });

    // The project's own installer, into the test profile inside the chroot.
    const out: string[] = [];
    const sink = { write: (chunk: string) => (out.push(String(chunk)), true) } as unknown as NodeJS.WritableStream;
    const code = await runCli(["install-gimp", "--gimp-dir", join(home, ".config", "GIMP", "3.0")], {
      stdout: sink as never,
      stderr: sink as never,
      signal: new AbortController().signal,
      cwd: repoRoot,
      env: {},
    });
    expect(code, out.join("")).toBe(0);

    inputs = await makeInputs(join(home, "in"));
    daemon = await startE2eDaemon(await freePort(), await mkdtemp(join(tmpdir(), "pu-gimp-daemon-")));
    // The plug-in finds the token in the daemon's config folder; inside the chroot that folder is a copy.
    await copyFile(join(daemon.configDir, "token"), join(home, "config", "token"));

    const url = daemon.url;
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    const toInner = (file: string): string => `${inner}/in/${basename(file)}`;
    const cases: CaseSpec[] = [
      { name: "rgb8", input: toInner(inputs.rgb8), format: "R'G'B' u8", output: caseOutput("rgb8"), args: { "daemon-url": url, scale: 2 } },
      { name: "rgb16", input: toInner(inputs.rgb16), format: "R'G'B' u16", output: caseOutput("rgb16"), args: { "daemon-url": url, scale: 2, preset: FAST } },
      {
        name: "rgba8-offset",
        input: toInner(inputs.rgba8),
        format: "R'G'B'A u8",
        output: caseOutput("rgba8-offset"),
        offsets: [5, 3],
        args: { "daemon-url": url, scale: 2, preset: FAST },
      },
      {
        name: "grey8-new-image",
        input: toInner(inputs.grey8),
        format: "Y' u8",
        output: caseOutput("grey8-new-image"),
        args: { "daemon-url": url, scale: 2, output: "image", preset: FAST },
      },
      {
        name: "float32",
        input: toInner(inputs.rgb16),
        precision: "FLOAT_LINEAR",
        format: "R'G'B' u16",
        output: caseOutput("float32"),
        args: { "daemon-url": url, scale: 2, preset: FAST },
      },
      { name: "daemon-down", input: toInner(inputs.rgb8), format: "R'G'B' u8", output: caseOutput("down"), args: { "daemon-url": downUrl } },
      // The procedure's device argument: the daemon's one device by number, and one it does not have.
      { name: "device-0", input: toInner(inputs.rgb8), format: "R'G'B' u8", output: caseOutput("device-0"), args: { "daemon-url": url, scale: 2, preset: FAST, device: 0 } },
      { name: "device-unknown", input: toInner(inputs.rgb8), format: "R'G'B' u8", output: caseOutput("device-unknown"), args: { "daemon-url": url, scale: 2, device: 7 } },
    ];
    await copyFile(repoPath("test", "gimp", "batch.py"), join(home, "batch.py"));
    await writeFile(join(home, "spec.json"), JSON.stringify({ report: `${inner}/out/report.json`, cases }, null, 2));

    gimpLog = await runGimp(inner, "config", "spec.json");
    const report = JSON.parse(await readFile(hostPath(`${inner}/out/report.json`), "utf8")) as { cases: CaseReport[] };
    reports = new Map(report.cases.map((entry) => [entry.name, entry]));

    // The token is read per GIMP process (from its environment), so token problems need runs of their own.
    await mkdir(join(home, "config-wrong"), { recursive: true });
    await writeFile(join(home, "config-wrong", "token"), "not-the-daemons-token-0123456789\n");
    await mkdir(join(home, "config-empty"), { recursive: true });
    for (const [name, configFolder] of [["token-wrong", "config-wrong"], ["token-missing", "config-empty"]] as const) {
      const spec = `${name}.json`;
      const oneCase: CaseSpec = { name, input: toInner(inputs.rgb8), format: "R'G'B' u8", output: caseOutput(name), args: { "daemon-url": url } };
      await writeFile(join(home, spec), JSON.stringify({ report: `${inner}/out/${name}.json`, cases: [oneCase] }));
      gimpLog += await runGimp(inner, configFolder, spec);
      const extra = JSON.parse(await readFile(hostPath(`${inner}/out/${name}.json`), "utf8")) as { cases: CaseReport[] };
      reports.set(name, extra.cases[0]);
    }
  }, 600_000);

  afterAll(async () => {
    console.info(`GIMP end to end against the ${daemon?.kind}: largest difference per case (levels):`, differences);
    await daemon?.stop();
    if (home && !process.env.PORTRAIT_UPSCALE_KEEP_GIMP_HOME) await rm(home, { recursive: true, force: true });
  });

  async function runGimp(innerHome: string, configFolder: string, spec: string): Promise<string> {
    const args = [
      CHROOT, "env", "-i", `HOME=${innerHome}`, "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
      // The plug-in lists the daemon's presets for its dialog when GIMP creates the procedure.
      `PORTRAIT_UPSCALE_URL=${daemon!.url}`,
      `PORTRAIT_UPSCALE_CONFIG_DIR=${innerHome}/${configFolder}`, `PU_SPEC=${innerHome}/${spec}`,
      "gimp-console", "-i", "-n", "-d", "-f", "--batch-interpreter", "python-fu-eval",
      "-b", `exec(open("${innerHome}/batch.py").read())`, "--quit",
    ];
    const child: ChildProcess = spawn("chroot", args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout?.on("data", (chunk) => (log += chunk));
    child.stderr?.on("data", (chunk) => (log += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`gimp-console exited with ${code}:\n${log.slice(-4000)}`);
    return log;
  }

  function reportOf(name: string): CaseReport {
    const entry = reports.get(name);
    if (!entry) throw new Error(`no report for ${name}; GIMP said:\n${gimpLog.slice(-3000)}`);
    return entry;
  }

  const differences: Record<string, number> = {};

  /** The case's dumped layer against the reference; the largest difference is also recorded for the summary. */
  async function differenceFromReference(name: string, expected: Pixels): Promise<number> {
    const data = await readFile(hostPath(caseOutput(name)));
    expect(data.length, `${name}: bytes of the dumped layer`).toBe(expected.data.length);
    const worst = maxDifference({ ...expected, data }, expected);
    differences[name] = worst;
    return worst;
  }

  it("adds an aligned ×2 layer to the enlarged image for an 8-bit RGB portrait, matching the daemon's own result", async () => {
    const entry = reportOf("rgb8");
    expect(entry.status, entry.message).toBe("success");
    expect(entry.sameImage).toBe(true);
    expect(entry.imageSize).toEqual([128, 128]);
    expect(entry.layerSize).toEqual([128, 128]);
    expect(entry.layerOffsets).toEqual([0, 0]);
    expect(entry.layerName).toBe(`Background ×2 (${daemon!.defaultPreset})`);
    expect(entry.layerNames).toEqual([entry.layerName, "Background"]);
    expect(entry.originalUntouched).toBe(true);
    expect(entry.originalSize).toEqual([64, 64]);
    const expected = await daemon!.expected(inputs.rgb8, 2);
    expect(await differenceFromReference("rgb8", expected)).toBeLessThanOrEqual(1);
  });

  it("keeps 16 bits per channel for a 16-bit image", async () => {
    const entry = reportOf("rgb16");
    expect(entry.status, entry.message).toBe("success");
    expect(entry.precision).toMatch(/^u16/);
    const expected = await daemon!.expected(inputs.rgb16, 2, FAST);
    expect(expected.bitDepth).toBe(16);
    expect(await differenceFromReference("rgb16", expected)).toBeLessThanOrEqual(1);
  });

  it("keeps alpha and places the result at the source offsets × scale", async () => {
    const entry = reportOf("rgba8-offset");
    expect(entry.status, entry.message).toBe("success");
    expect(entry.layerHasAlpha).toBe(true);
    expect(entry.originalOffsetsBefore).toEqual([5, 3]);
    expect(entry.originalOffsets).toEqual([5, 3]);
    expect(entry.layerOffsets).toEqual([10, 6]);
    expect(entry.imageSize).toEqual([128, 128]);
    expect(entry.originalUntouched).toBe(true);
    const expected = await daemon!.expected(inputs.rgba8, 2, FAST);
    expect(expected.channels).toBe(4);
    expect(await differenceFromReference("rgba8-offset", expected)).toBeLessThanOrEqual(1);
  });

  it("puts a grey result into a new image when asked, leaving the source image alone", async () => {
    const entry = reportOf("grey8-new-image");
    expect(entry.status, entry.message).toBe("success");
    expect(entry.sameImage).toBe(false);
    expect(entry.baseType).toBe("gray");
    expect(entry.imageSize).toEqual([128, 128]);
    expect(entry.layerNames).toEqual([entry.layerName]);
    expect(entry.originalUntouched).toBe(true);
    const expected = await daemon!.expected(inputs.grey8, 2, FAST);
    expect(await differenceFromReference("grey8-new-image", expected)).toBeLessThanOrEqual(1);
  });

  it("sends a 32-bit float image at 16 bits and says so", async () => {
    const entry = reportOf("float32");
    expect(entry.status, entry.message).toBe("success");
    expect(entry.precision).toBe("float-linear");
    expect(entry.imageSize).toEqual([128, 128]);
    expect(gimpLog).toContain("The image is 32-bit float; the layer was sent to the daemon at 16 bits per channel");
    // The float image holds the 16-bit input converted to linear light and back: within a few 16-bit levels.
    const expected = await daemon!.expected(inputs.rgb16, 2, FAST);
    expect(await differenceFromReference("float32", expected)).toBeLessThanOrEqual(daemon!.floatTolerance);
  });

  it("says where the token was looked for when there is none", () => {
    const entry = reportOf("token-missing");
    expect(entry.status).toBe("execution-error");
    expect(entry.message).toBe(
      `Upscale Portrait: No daemon token was found. Start the daemon once (npx portrait-upscale serve) so that it writes its token, ` +
        `as the same user that runs GIMP. Looked for it in ${inner}/config-empty/token. [TOKEN_MISSING]`,
    );
    expect(entry.layerCountAfter).toBe(1);
  });

  it("says the token was refused when it is not the daemon's", () => {
    const entry = reportOf("token-wrong");
    expect(entry.status).toBe("execution-error");
    expect(entry.message).toMatch(/^Upscale Portrait: The daemon refused the token\. .* \[AUTH_INVALID\]$/);
    expect(entry.message).toContain(`Token file: ${inner}/config-wrong/token.`);
    expect(entry.imageSizeAfter).toEqual([64, 64]);
  });

  it("runs on the device the procedure's argument names, and refuses one the daemon does not list", async () => {
    const chosen = reportOf("device-0");
    expect(chosen.status, chosen.message).toBe("success");
    const expected = await daemon!.expected(inputs.rgb8, 2, FAST);
    expect(await differenceFromReference("device-0", expected)).toBeLessThanOrEqual(1);
    const unknown = reportOf("device-unknown");
    expect(unknown.status).toBe("execution-error");
    expect(unknown.message).toMatch(/^Upscale Portrait: The device chosen for the daemon is not on its machine\. .*\[DEVICE_UNKNOWN\]$/);
    expect(unknown.layerCountAfter).toBe(1);
    expect(unknown.imageSizeAfter).toEqual([64, 64]);
  });

  it("returns an error status naming the fix when the daemon is not running", () => {
    const entry = reportOf("daemon-down");
    expect(entry.status).toBe("execution-error");
    expect(entry.message).toMatch(/^Upscale Portrait: The Portrait Upscale daemon is not running at http:\/\/127\.0\.0\.1:\d+\. Start it with: npx portrait-upscale serve \[DAEMON_NOT_RUNNING\]$/);
    expect(entry.imageSizeAfter).toEqual([64, 64]);
    expect(entry.layerCountAfter).toBe(1);
    expect(gimpLog).not.toContain("Traceback");
  });
});

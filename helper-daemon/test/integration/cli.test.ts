// The command line as users meet it: a real child process of the bundle (built here first).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { loadManifest, repositoryPath as repoPath } from "@portrait-upscale/models";
import { ERROR_ADVICE } from "@portrait-upscale/shared";
import { fixture, fixtureCrop, pngClaiming } from "./support/images";
import { hasModel } from "./support/models";

const bin = repoPath("helper-daemon", "bin", "portrait-upscale.js");
let folder: string;

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon") });
  folder = mkdtempSync(join(tmpdir(), "portrait-upscale-cli-"));
  writeFileSync(join(folder, "face.png"), await fixtureCrop("astronaut-face-64.png", 32));
});
afterAll(() => {
  chmodSync(folder, 0o755);
  rmSync(folder, { recursive: true, force: true });
});

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: folder, timeout: 110_000 });
  return { status: result.status, stdout: result.stdout, stderr: withoutProgress(result.stderr) };
}

/** Stderr without the estimate and progress lines a non-terminal gets (tested on their own). */
function withoutProgress(text: string): string {
  return text.replace(/^(estimate|progress): .*\n/gm, "");
}

function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe("portrait-upscale upscale", () => {
  it("progress for scripts: one line per stage and percent when stderr is not a terminal, or JSON lines", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    const lines = spawnSync(process.execPath, [bin, "upscale", "face.png", "-o", "face-lines.png", "--model", "x4fast", "--tile", "32"], { encoding: "utf8", cwd: folder });
    expect(lines.status).toBe(0);
    // The cost model's prediction comes first, in words, then the progress.
    expect(lines.stderr).toMatch(/^estimate: (a few seconds|about \d+ (s|min)) on CPU/);
    const progress = lines.stderr.split("\n").filter((line) => line.startsWith("progress: "));
    expect(progress[0]).toBe("progress: 0% decode");
    expect(progress.some((line) => /^progress: \d+% upscale tile \d+\/\d+ ETA /.test(line))).toBe(true);
    expect(progress.at(-1)).toBe("progress: 100% encode");
    expect(new Set(progress).size).toBe(progress.length);
    const json = spawnSync(process.execPath, [bin, "upscale", "face.png", "-o", "face-json.png", "--model", "x4fast", "--progress", "json"], { encoding: "utf8", cwd: folder });
    expect(json.status).toBe(0);
    const events = json.stderr.trim().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ stage: "estimate", provider: "cpu" });
    // The ETA is there from the first event, seeded with the prediction.
    expect(events[1]).toEqual({ stage: "decode", progress: 0, etaSeconds: events[0].estimateSeconds });
    expect(events.at(-1)).toMatchObject({ stage: "encode", progress: 1 });
    // Tile counts only where a tiled stage reports them: never 0 of 0.
    for (const event of events) if ("tiles" in event) expect(event.tiles).toBeGreaterThan(0);
  });

  it("calibrate stores this machine's speed; later estimates use it", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    const config = mkdtempSync(join(folder, "config-"));
    const env = { ...process.env, PORTRAIT_UPSCALE_CONFIG_DIR: config };
    const calibrate = spawnSync(process.execPath, [bin, "calibrate", "--json"], { encoding: "utf8", cwd: folder, env });
    expect(calibrate.status).toBe(0);
    const result = JSON.parse(calibrate.stdout);
    // The factor is the device's own: `provider:device`, device 0 by default.
    expect(Object.keys(result.factors)).toEqual(["cpu:0"]);
    expect(result.factors["cpu:0"]).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(config, "calibration.json"), "utf8"))).toEqual({ factors: result.factors });
    const run = spawnSync(process.execPath, [bin, "upscale", "face.png", "-o", "face-calibrated.png", "--model", "x4fast"], { encoding: "utf8", cwd: folder, env });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^estimate: (a few seconds|about \d+ (s|min)) on CPU\n/);
  });

  it("--json prints exactly one object describing the result", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    const run = cli("upscale", "face.png", "-o", "face-x2.png", "--model", "x4fast", "--scale", "2", "--json");
    // Notes go to stderr too, for the person at the terminal; stdout is only the object.
    expect(run.stderr).toBe("note: realesrgan-x4fast is a ×4 model: its result was resized to ×2 with Lanczos-3.\n");
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result).sort()).toEqual(["input", "model", "models", "notes", "ok", "output", "provider", "scale", "tile", "timings"]);
    expect(result).toMatchObject({
      ok: true,
      input: { path: join(folder, "face.png"), width: 32, height: 32, channels: 3, bitDepth: 8, format: "png" },
      output: { path: join(folder, "face-x2.png"), width: 64, height: 64, channels: 3, bitDepth: 8, format: "png" },
      scale: 2,
      model: "x4fast",
      models: ["realesrgan-x4fast"],
      provider: "cpu",
    });
    expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.inferenceMs);
    expect(result.notes).toEqual(["realesrgan-x4fast is a ×4 model: its result was resized to ×2 with Lanczos-3."]);
    const meta = await sharp(join(folder, "face-x2.png")).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([64, 64, "png"]);
  });

  const badInputs: [string, () => Buffer, string, number][] = [
    ["not an image", () => Buffer.from("hello, this is text\n"), "INPUT_NOT_IMAGE", 3],
    ["a truncated PNG", () => fixture("astronaut-face-64.png").subarray(0, 2000), "INPUT_TRUNCATED", 3],
    ["a 0×0 PNG", () => pngClaiming(0, 0), "INPUT_EMPTY", 3],
    ["a header claiming 100000×100000", () => pngClaiming(100_000, 100_000), "INPUT_TOO_LARGE", 3],
  ];
  it.each(badInputs)("%s fails with its code, exit code and no output file", (_name, make, code, exit) => {
    const dir = mkdtempSync(join(folder, "bad-"));
    writeFileSync(join(dir, "in.png"), make());
    const run = spawnSync(process.execPath, [bin, "upscale", "in.png", "-o", "out.png", "--model", "x4fast", "--json"], { cwd: dir, encoding: "utf8" });
    expect(run.status).toBe(exit);
    expect(withoutProgress(run.stderr)).toMatch(new RegExp(`^portrait-upscale: ${code}: .+\\nadvice: .+\\n$`));
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code } });
    expect(filesIn(dir)).toEqual(["in.png"]);
  });

  it("an unknown model is MODEL_UNKNOWN (exit 5)", () => {
    const run = cli("upscale", "face.png", "-o", "never.png", "--model", "x9000");
    expect(run.status).toBe(5);
    expect(run.stderr).toBe(
      'portrait-upscale: MODEL_UNKNOWN: Expected one of x4plus, x4fast, thick for model but received "x9000"\n' +
        `advice: ${ERROR_ADVICE.MODEL_UNKNOWN}\n`,
    );
  });

  it("an unwritable output is OUTPUT_UNWRITABLE (exit 4) and leaves nothing", async () => {
    if (!hasModel("realesrgan-x4fast")) return;
    const missing = cli("upscale", "face.png", "-o", join(folder, "no-such-folder", "out.png"), "--model", "x4fast");
    expect(missing.status).toBe(4);
    expect(missing.stderr).toMatch(/^portrait-upscale: OUTPUT_UNWRITABLE: Cannot write .+out\.png: ENOENT\.\nadvice: .+\n$/);
    // Permissions do not stop root; the read-only folder case needs an ordinary user.
    if (process.getuid?.() === 0) return;
    const locked = mkdtempSync(join(folder, "locked-"));
    chmodSync(locked, 0o555);
    try {
      const run = cli("upscale", "face.png", "-o", join(locked, "out.png"), "--model", "x4fast");
      expect(run.status).toBe(4);
      expect(run.stderr).toMatch(/^portrait-upscale: OUTPUT_UNWRITABLE: Cannot write .+out\.png: EACCES\.\nadvice: .+\n$/);
      expect(filesIn(locked)).toEqual([]);
    } finally {
      chmodSync(locked, 0o755);
    }
  });

  it.each([
    [["upscale", "face.png"], "INVALID_OPTION: Expected an OUTPUT file (-o OUTPUT) for --output but received undefined"],
    [["upscale", "face.png", "-o", "x.png", "--scale", "5"], 'INVALID_OPTION: Expected one of 2, 3, 4, 6, 8 for scale but received "5"\n'],
    [["upscale", "face.png", "-o", "x.png", "--provider", "tpu"], "INVALID_OPTION: Expected one of auto, cpu, cuda, dml, coreml, webgpu for --provider"],
    [["upscale", "face.png", "-o", "x.bmp"], 'INVALID_OPTION: Expected a file name ending in .png, .jpg, .jpeg, .tif, .tiff or .webp for the output but received "x.bmp"'],
    [["upscale", "face.png", "-o", "x.png", "--bogus"], "INVALID_OPTION: Unknown option --bogus for upscale: see `portrait-upscale upscale --help`\n"],
    [["frobnicate"], "INVALID_OPTION: Expected one of"],
  ])("usage errors exit 2: %j", (args, message) => {
    const run = cli(...args);
    expect(run.status).toBe(2);
    expect(run.stderr.startsWith(`portrait-upscale: ${message}`)).toBe(true);
  });

  it("Ctrl-C cancels: exit 130, CANCELLED, no output and no temporary file", async () => {
    if (!hasModel("realesrgan-x4plus")) return;
    const dir = mkdtempSync(join(folder, "sigint-"));
    writeFileSync(join(dir, "in.png"), fixture("astronaut-face-128.png"));
    const child = spawn(process.execPath, [bin, "upscale", "in.png", "-o", "out.png", "--model", "x4plus", "--tile", "64"], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // Wait until the work is under way (the temporary output exists), then interrupt.
    while (!readdirSync(dir).some((name) => name.endsWith(".partial"))) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill("SIGINT");
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(status).toBe(130);
    expect(withoutProgress(stderr)).toBe(`portrait-upscale: CANCELLED: The job was cancelled.\nadvice: ${ERROR_ADVICE.CANCELLED}\n`);
    expect(filesIn(dir)).toEqual(["in.png"]);
  });

  it("a provider that is not here is PROVIDER_UNAVAILABLE (exit 6)", () => {
    const run = cli("upscale", "face.png", "-o", "x.png", "--provider", process.platform === "darwin" ? "dml" : "coreml");
    expect(run.status).toBe(6);
    expect(run.stderr).toMatch(/^portrait-upscale: PROVIDER_UNAVAILABLE: The execution provider "(coreml|dml)" is not available on .+ Available: .*cpu\.\nadvice: .+\n$/);
  });
});

describe("help, doctor, models", () => {
  it("lists every command in the top-level help", () => {
    const run = cli("--help");
    expect(run.status).toBe(0);
    for (const name of ["upscale", "doctor", "models"]) expect(run.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    expect(run.stdout).toContain("130  cancelled (Ctrl-C)");
  });

  it("has --help for each command", () => {
    for (const name of ["upscale", "doctor", "models"]) {
      const run = cli(name, "--help");
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`portrait-upscale ${name}`);
    }
  });

  it("doctor --json reports versions, providers and models", () => {
    const run = cli("doctor", "--json");
    const report = JSON.parse(run.stdout);
    expect(report.platform).toBe(process.platform);
    expect(report.onnxruntime).toBe("1.30.0");
    expect(report.providers.available).toContain("cpu");
    expect(report.providers.auto).toBe(process.platform === "linux" && !report.providers.available.includes("cuda") ? "cpu" : report.providers.auto);
    expect(report.models.map((model: { id: string }) => model.id)).toContain("realesrgan-x4plus");
    // No CUDA or DirectML provider here, so no device list to ask for.
    expect(report.devices).toEqual(report.providers.available.some((name: string) => name === "cuda" || name === "dml") ? report.devices : []);
    expect(run.status).toBe(report.ok ? 0 : 5);
  });

  it("models list and verify", () => {
    const list = JSON.parse(cli("models", "list", "--json").stdout);
    expect(list.models.length).toBe(loadManifest().models.length);
    const verify = cli("models", "verify", "--json");
    const report = JSON.parse(verify.stdout);
    expect(verify.status).toBe(report.ok ? 0 : 5);
    expect(cli("models", "nonsense").status).toBe(2);
  });
});

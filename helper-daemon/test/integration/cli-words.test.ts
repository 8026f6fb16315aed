/**
 * What a new user reads at the command line: errors in words with their advice, the right exit
 * code for a missing input, "did you mean" for typos, no validator wording, a note when a
 * CMYK input is converted, and no WebGPU in `doctor` on a machine without a GPU.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { ERROR_ADVICE } from "@portrait-upscale/shared";
import { EXIT_CODES } from "../../src/cli/exit-codes";
import { CMYK_NOTE } from "../../src/upscale/upscale-decoded";
import { runCliCaptured } from "../support/run-cli";

const work = mkdtempSync(join(tmpdir(), "pu-cli-words-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
/** The command's result, stderr without the progress lines a non-terminal gets (tested in cli.test.ts). */
const cli = async (...argv: string[]) => {
  const run = await runCliCaptured(argv, { cwd: work, env: {} });
  return { ...run, stderr: run.stderr.replace(/^(estimate|progress): .*\n/gm, "") };
};

describe("errors at the command line", () => {
  it("a missing input file is an input error, in words, with advice", async () => {
    const run = await cli("upscale", "absent.png", "-o", "out.png");
    expect(run.code).toBe(EXIT_CODES.input);
    expect(run.stderr).toBe(
      `portrait-upscale: INPUT_UNREADABLE: Cannot read the input file ${join(work, "absent.png")}: no such file.\n` +
        `advice: ${ERROR_ADVICE.INPUT_UNREADABLE}\n`,
    );
  });

  it("a folder given as the input says so", async () => {
    const run = await cli("upscale", ".", "-o", "out.png");
    expect(run.code).toBe(EXIT_CODES.input);
    expect(run.stderr).toMatch(/^portrait-upscale: INPUT_UNREADABLE: Cannot read the input file .+: it is a folder\.\n/);
  });

  it("a bad value is quoted as typed, without the validator's type wording", async () => {
    writeFileSync(join(work, "in.png"), await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } }).png().toBuffer());
    const run = await cli("upscale", "in.png", "-o", "out.png", "--scale", "5");
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toBe(
      'portrait-upscale: INVALID_OPTION: Expected one of 2, 3, 4, 6, 8 for scale but received "5"\n' +
        `advice: ${ERROR_ADVICE.INVALID_OPTION}\n`,
    );
  });

  it("a mistyped option gets a did-you-mean; an unrelated one a pointer to the help", async () => {
    const typo = await cli("upscale", "in.png", "-o", "out.png", "--scael", "2");
    expect(typo.code).toBe(EXIT_CODES.usage);
    expect(typo.stderr.split("\n")[0]).toBe("portrait-upscale: INVALID_OPTION: Unknown option --scael for upscale: did you mean --scale?");
    const unrelated = await cli("upscale", "in.png", "-o", "out.png", "--zzzzzz");
    expect(unrelated.stderr.split("\n")[0]).toBe("portrait-upscale: INVALID_OPTION: Unknown option --zzzzzz for upscale: see `portrait-upscale upscale --help`");
  });

  it("a mistyped command gets a did-you-mean", async () => {
    const run = await cli("upscle");
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr.trimEnd().split("\n").at(-1)).toBe("Did you mean `portrait-upscale upscale`?");
  });
});

describe("notes and doctor", () => {
  it("says when a CMYK JPEG was converted to sRGB", async () => {
    const cmyk = await sharp({ create: { width: 24, height: 24, channels: 3, background: "#c08040" } }).toColourspace("cmyk").jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    writeFileSync(join(work, "cmyk.jpg"), cmyk);
    const run = await cli("upscale", "cmyk.jpg", "-o", "cmyk-out.png", "--model", "x4fast", "--scale", "4", "--json");
    expect(run.code, run.stderr).toBe(EXIT_CODES.ok);
    expect(JSON.parse(run.stdout).notes).toContain(CMYK_NOTE);
    expect(run.stderr).toContain(`note: ${CMYK_NOTE}\n`);
    expect(existsSync(join(work, "cmyk-out.png"))).toBe(true);
  });

  it("doctor lists WebGPU only where a GPU device exists", async () => {
    const run = await cli("doctor", "--json");
    const report = JSON.parse(run.stdout);
    const gpu = existsSync("/dev/dri") && readdirSync("/dev/dri").some((name) => name.startsWith("renderD"));
    if (process.platform === "linux") expect(report.providers.available.includes("webgpu")).toBe(gpu);
    expect(report.providers.available).toContain("cpu");
  });
});

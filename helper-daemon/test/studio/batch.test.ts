// `portrait-upscale batch` on this machine, as a real child process with the real x4fast model.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryPath as repoPath } from "@portrait-upscale/models";
import { filesUnder, startCli, writeShoot } from "./support";

const RECIPE = ["--model", "x4fast", "--scale", "2", "--provider", "cpu", "--threads", "1"];
let work: string;
let shoot: { good: string[]; broken: string };

function batch(args: readonly string[]) {
  return startCli(["batch", ...args], { cwd: work, configDir: join(work, "config") });
}

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs"], { cwd: repoPath("helper-daemon") });
  work = await mkdtemp(join(tmpdir(), "pu-batch-"));
  shoot = await writeShoot(join(work, "shoot"), 4);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("portrait-upscale batch", () => {
  it("keeps the folder layout, reports a broken file with its code and goes on, exits 3", async () => {
    const run = batch(["shoot", "-o", "out", ...RECIPE]);
    expect(await run.exited).toBe(3);
    expect(await filesUnder(join(work, "out"))).toEqual(["batch.json", ...shoot.good].sort());
    expect(run.stderr()).toContain("failed " + join(work, "shoot", shoot.broken) + ": INPUT_NOT_IMAGE: ");
    expect(run.stderr()).toMatch(/^4 done, 0 skipped, 1 failed; report: /m);
    const report = JSON.parse(await readFile(join(work, "out", "batch.json"), "utf8"));
    expect(report.counts).toEqual({ done: 4, skipped: 0, failed: 1, pending: 0 });
    const broken = report.files.find((entry: { input: string }) => entry.input.endsWith("broken.png"));
    expect(broken).toMatchObject({ status: "failed", error: { code: "INPUT_NOT_IMAGE" } });
    const done = report.files.filter((entry: { status: string }) => entry.status === "done");
    expect(done.every((entry: { models: string[] }) => entry.models[0] === "realesrgan-x4fast")).toBe(true);
    // Each output keeps its input's format and is twice its size.
    const jpeg = await sharp(join(work, "out", shoot.good[1])).metadata();
    expect([jpeg.format, jpeg.width, jpeg.height]).toEqual(["jpeg", 48, 48]);
  });

  it("resumes: existing outputs are skipped, a missing one is redone; --overwrite redoes all", async () => {
    const kept = join(work, "out", shoot.good[0]);
    const before = (await stat(kept)).mtimeMs;
    await unlink(join(work, "out", shoot.good[2]));
    const resumed = batch(["shoot", "-o", "out", ...RECIPE]);
    expect(await resumed.exited).toBe(3);
    expect(resumed.stderr()).toContain("3 outputs already exist: skipped");
    expect(resumed.stderr()).toMatch(/^1 done, 3 skipped, 1 failed/m);
    expect((await stat(kept)).mtimeMs).toBe(before);
    const report = JSON.parse(await readFile(join(work, "out", "batch.json"), "utf8"));
    // A skipped file keeps what the earlier run said of it.
    const skipped = report.files.find((entry: { output: string }) => entry.output === kept);
    expect(skipped).toMatchObject({ status: "skipped", models: ["realesrgan-x4fast"] });

    const again = batch([join("shoot", "face-0.png"), "-o", "out", "--overwrite", "--progress", "json", ...RECIPE]);
    expect(await again.exited).toBe(0);
    expect((await stat(kept)).mtimeMs).toBeGreaterThan(before);
    const events = again.stdout().trim().split("\n").map((line) => JSON.parse(line));
    expect(events[0]).toEqual({ type: "start", total: 1, skipped: 0 });
    expect(events.at(-1)).toMatchObject({ type: "entry", index: 1, total: 1, status: "done", output: kept });
  });

  it("takes glob patterns and --format, keeping the layout below the pattern's fixed part", async () => {
    const run = batch(["shoot/**/*.jpg", "-o", "as-png", "--format", "png", ...RECIPE]);
    expect(await run.exited).toBe(0);
    const jpegs = shoot.good.filter((name) => name.endsWith(".jpg")).map((name) => name.replace(/\.jpg$/, ".png"));
    expect(await filesUnder(join(work, "as-png"))).toEqual(["batch.json", ...jpegs].sort());
    expect((await sharp(join(work, "as-png", jpegs[0])).metadata()).format).toBe("png");
  });

  it("Ctrl-C: no partial file, batch.json written at the stop, exit 130; the next run finishes the rest", async () => {
    const run = batch(["shoot", "-o", "interrupted", "--progress", "lines", ...RECIPE]);
    await run.waitFor("[1/5] done");
    run.child.kill("SIGINT");
    expect(await run.exited).toBe(130);
    const left = await filesUnder(join(work, "interrupted"));
    expect(left.filter((name) => name.includes(".partial"))).toEqual([]);
    const images = left.filter((name) => name !== "batch.json");
    expect(left).toContain("batch.json");
    expect(images.length).toBeGreaterThanOrEqual(1);
    expect(images.length).toBeLessThan(shoot.good.length);
    // The report says what happened to every input: done ones exist, pending ones do not.
    const report = JSON.parse(await readFile(join(work, "interrupted", "batch.json"), "utf8"));
    const outputsWith = (status: string): string[] =>
      report.files.filter((entry: { status: string }) => entry.status === status).map((entry: { output: string }) => entry.output);
    expect(outputsWith("done").sort()).toEqual(images.map((name) => join(work, "interrupted", name)).sort());
    expect(outputsWith("pending").length).toBeGreaterThanOrEqual(1);
    expect(report.counts.done + report.counts.failed + report.counts.pending).toBe(shoot.good.length + 1);
    expect(report.counts.skipped).toBe(0);
    expect(run.stderr()).toMatch(new RegExp(`^${report.counts.done} done, 0 skipped, ${report.counts.failed} failed, ${report.counts.pending} pending \\(stopped\\); report: `, "m"));
    expect(run.stderr()).toContain("portrait-upscale: CANCELLED: ");
    const resumed = batch(["shoot", "-o", "interrupted", ...RECIPE]);
    expect(await resumed.exited).toBe(3);
    expect(await filesUnder(join(work, "interrupted"))).toEqual(["batch.json", ...shoot.good].sort());
  });

  it("--report reviews each result: review.html with each contact sheet, the verdict in batch.json", async () => {
    const run = batch([join("shoot", "face-0.png"), "-o", "reviewed", "--report", ...RECIPE]);
    expect(await run.exited).toBe(0);
    const report = JSON.parse(await readFile(join(work, "reviewed", "batch.json"), "utf8"));
    const review = report.files[0].review;
    expect(["pass", "warn"]).toContain(review.verdict);
    expect(review.sheet).toBe("review/face-0.png.png");
    expect((await sharp(join(work, "reviewed", review.sheet)).metadata()).format).toBe("png");
    const page = await readFile(join(work, "reviewed", "review.html"), "utf8");
    expect(page).toContain(`<img src="review/face-0.png.png"`);
  });
});

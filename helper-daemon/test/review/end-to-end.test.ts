// The review on real models: the portrait pipeline's result and fidelity branch, and a plain
// model upscale through the command line's `upscale --report DIR`. Skipped
// until `npm install` has converted the models; the pool needs the worker bundle (`npm run build`).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import sharp from "sharp";
import { BUILT_IN_PRESETS, resolvePreset } from "@portrait-upscale/shared";
import { runCli } from "../../src/cli/main";
import { runPortraitPipeline, type PortraitSettings } from "../../src/portrait/pipeline";
import { REVIEW_REGIONS, contactSheetSize, reviewSettingsOf, runReview, smallFaceAdvice, writeReview, type ReviewReport } from "../../src/review/index";
import { fixturePath, hasModel, loadRgb, ortDetector, ortTileRunner, repoRoot, type OrtLike } from "../portrait/support";

const models = ["esrgan-thick-x2", "realesrgan-x4fast", "blazeface-back-256", "blazeface-front-128"];
const ready = models.every(hasModel);

it("has the converted models it needs (npm install converts them)", () => expect(ready).toBe(true));
const folders: string[] = [];
afterAll(async () => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "review-e2e-"));
  folders.push(dir);
  return dir;
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const chunks = { stdout: [] as string[], stderr: [] as string[] };
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const code = await runCli(argv, { stdout: sink(chunks.stdout), stderr: sink(chunks.stderr), signal: new AbortController().signal, cwd: repoRoot, env: process.env });
  return { code, stdout: chunks.stdout.join(""), stderr: chunks.stderr.join("") };
}

function expectOneFaceFiveRegions(report: ReviewReport): void {
  expect(report.facesFound).toBe(1);
  expect(report.faces).toHaveLength(1);
  expect(report.faces[0].regions.map((r) => r.name)).toEqual([...REVIEW_REGIONS]);
  expect(report.checks).toHaveLength(22);
  for (const region of report.faces[0].regions) {
    // Each region lies inside the output, at exactly twice its source rectangle.
    expect(region.rect.x + region.rect.width).toBeLessThanOrEqual(256);
    expect(region.rect.y + region.rect.height).toBeLessThanOrEqual(256);
    expect(region.rect.width).toBe(region.sourceRect.width * 2);
  }
}

describe("review with real models", () => {
  it("reviews the portrait pipeline's 2× astronaut face against its source and writes review.json and review.png", async () => {
    const source = await loadRgb(fixturePath("astronaut-face-128.png"));
    const natural = resolvePreset(BUILT_IN_PRESETS.find((p) => p.id === "portrait-natural")!);
    const settings: PortraitSettings = { ...natural, scale: 2, models: { fidelity: "thick", detail: "x4fast" } };
    const ortLike = ort as unknown as OrtLike;
    const upscaled = await runPortraitPipeline(source, settings, { tileRunner: ortTileRunner(ortLike), runDetector: ortDetector(ortLike), keepBranches: true });
    expect(upscaled.faces).toHaveLength(1);

    const { report, sheet } = await runReview({
      source,
      result: upscaled.image,
      fidelity: upscaled.branches!.fidelity,
      faces: upscaled.faces,
      scale: 2,
      settings: reviewSettingsOf({ ...settings, presetId: natural.presetId }),
    });
    const dir = join(await folder(), "report");
    const written = await writeReview(dir, report, sheet);

    const json = JSON.parse(await readFile(written.json, "utf8")) as ReviewReport;
    expectOneFaceFiveRegions(json);
    expect(json.comparedWith).toBe("source");
    expect(json.settings).toEqual({ presetId: "portrait-natural", creativity: 0.3, resemblance: 0.85, denoise: 0.1 });
    // The blend keeps the source's colour and adds texture within the guide's band, without blotches on the skin.
    for (const region of json.faces[0].regions.filter((r) => r.name !== "skin")) {
      expect(region.scores.deltaE).toBeLessThan(2);
      expect(region.scores.textureRatio).toBeGreaterThan(0.6);
    }
    expect(json.checks.find((c) => c.region === "skin" && c.metric === "mottling")).toMatchObject({ metric: "mottling", passed: true });
    expect(json.advice).toContain(smallFaceAdvice(2));
    const meta = await sharp(await readFile(written.png)).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format: "png", ...contactSheetSize(report) });
  });

  it("reviews a plain x4fast upscale from the command line: upscale --report DIR", async () => {
    const dir = await folder();
    const output = join(dir, "out.png");
    const report = join(dir, "report");
    const { code, stdout } = await cli("upscale", fixturePath("astronaut-face-128.png"), "-o", output, "--model", "x4fast", "--scale", "2", "--threads", "2", "--report", report, "--json");
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    // The detail model alone invents texture the source does not support: flagged, with the remedy.
    expect(printed.review).toEqual({ verdict: "warn", json: join(report, "review.json"), png: join(report, "review.png") });
    const json = JSON.parse(await readFile(printed.review.json, "utf8")) as ReviewReport;
    expectOneFaceFiveRegions(json);
    expect(json.comparedWith).toBe("source");
    expect(json.settings).toEqual({ model: "x4fast" });
    expect(json.checks.filter((c) => !c.passed).map((c) => c.metric)).toContain("added-detail");
    expect(json.advice.some((line) => line.startsWith("invented texture") && line.endsWith(": use a portrait preset or the thick model"))).toBe(true);
    expect((await sharp(await readFile(printed.review.png)).metadata()).format).toBe("png");
  });
});

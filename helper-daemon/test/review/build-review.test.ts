import { describe, expect, it } from "vitest";
import { parse, reviewReportSchema } from "@portrait-upscale/shared";
import {
  MOTTLING_MAX,
  NO_FACE_ADVICE,
  RERUN_ADVICE,
  TEXTURE_RATIO_MAX,
  TEXTURE_RATIO_MIN,
  adviceFor,
  buildReview,
  smallFaceAdvice,
  toProtocolReport,
} from "../../src/review/index";
import { BLOTCH_AMPLITUDE, mottle } from "../../src/bench/review-set";
import { ASTRONAUT_FACE, enlargeNearest, imageOf, mapPixels, skin } from "./support";

const source = skin(128, 128);
const faithful = enlargeNearest(source, 2);
const settings = { presetId: "portrait-natural", creativity: 0.3, resemblance: 0.85, denoise: 0.1 };

describe("adviceFor", () => {
  it("speaks a retoucher's terms for the usual failures", () => {
    // Creativity ÷ the excess squared, one step lower: 0.3 ÷ 1.2² → 0.20 → 0.15.
    expect(adviceFor("noseBridge", "halo", "high", 0.018, settings, 0.015)).toBe("halo on the nose bridge: lower creativity to 0.15");
    expect(adviceFor("noseBridge", "halo", "high", 0.031, settings, 0.015)).toBe("halo on the nose bridge: use the thick model alone (no synthetic detail)");
    expect(adviceFor("eyes", "texture-ratio", "low", 0.4, settings)).toBe("lashes smeared: raise creativity for eyes or use Headshot — Hair & Lashes");
    expect(adviceFor("lips", "added-detail", "high", 0.9, settings, 0.8)).toBe("invented texture on the lips: lower creativity to 0.15");
    expect(adviceFor("lips", "added-detail", "high", 3.2, settings, 0.8)).toBe("invented texture on the lips: use the thick model alone (no synthetic detail)");
    expect(adviceFor("lips", "texture-ratio", "high", 1.8, settings, 1.4)).toBe("over-sharpened on the lips: lower creativity to 0.10");
    expect(adviceFor("lips", "delta-e", "high", 3.14, settings)).toBe("colour shift on the lips (ΔE 3.1): raise resemblance by 0.05");
    expect(adviceFor("hairline", "banding", "high", 5, settings)).toBe("banding on the hairline: keep 16 bits per channel, or use a preset that keeps grain");
    expect(adviceFor("skin", "mottling", "high", 1.1, settings, 1)).toBe("blotchy skin (mottling): lower creativity to 0.15");
    expect(adviceFor("noseBridge", "texture-ratio", "low", 0.4, { ...settings, denoise: 0.3 })).toBe(
      "plastic skin on the nose: raise creativity by 0.05 or lower denoise to 0.1",
    );
  });

  it("names another remedy when creativity cannot be lowered or is not a setting", () => {
    expect(adviceFor("noseBridge", "halo", "high", 0.03, { creativity: 0 })).toBe("halo on the nose bridge: use the thick model alone (no synthetic detail)");
    expect(adviceFor("eyes", "halo", "high", 0.03, { model: "x4plus" })).toBe("halo on the eyes: use a portrait preset or the thick model");
  });
});

describe("buildReview", () => {
  it("passes a faithful result: four features and the skin, twenty-two checks, all for face 0", () => {
    const report = buildReview({ source, result: faithful, faces: [ASTRONAUT_FACE], scale: 2, settings });
    expect(report.verdict).toBe("pass");
    expect(report.comparedWith).toBe("source");
    expect(report.faces).toHaveLength(1);
    expect(report.faces[0].regions.map((r) => r.name)).toEqual(["eyes", "noseBridge", "lips", "hairline", "skin"]);
    expect(report.faces[0].regions[0].rect).toEqual({ x: 46, y: 92, width: 166, height: 58 });
    expect(report.checks).toHaveLength(22);
    expect(report.checks.slice(20).map((c) => [c.region, c.metric])).toEqual([
      ["skin", "banding"],
      ["skin", "mottling"],
    ]);
    expect(report.checks[21]).toMatchObject({ face: 0, region: "skin", metric: "mottling", limit: MOTTLING_MAX, passed: true });
    expect(report.checks.every((c) => c.face === 0 && c.passed)).toBe(true);
    expect(report.checks.slice(0, 5).map((c) => c.metric)).toEqual(["halo", "texture-ratio", "added-detail", "delta-e", "banding"]);
    expect(report.checks[1]).toMatchObject({ region: "eyes", metric: "texture-ratio", min: TEXTURE_RATIO_MIN, limit: TEXTURE_RATIO_MAX });
    // The face is 100 px wide in the source: small for 2× (150 px needed).
    expect(report.advice).toEqual([smallFaceAdvice(2)]);
  });

  it("warns with advice on a tone shift, region by region", () => {
    const warmer = mapPixels(faithful, ([r, g, b]) => [r + 0.04, g, b - 0.03]);
    const report = buildReview({ source, result: warmer, fidelity: faithful, faces: [ASTRONAUT_FACE], scale: 2, settings });
    expect(report.verdict).toBe("warn");
    expect(report.comparedWith).toBe("source");
    const failed = report.checks.filter((c) => !c.passed);
    expect(failed.map((c) => [c.region, c.metric])).toEqual([
      ["eyes", "delta-e"],
      ["noseBridge", "delta-e"],
      ["lips", "delta-e"],
      ["hairline", "delta-e"],
    ]);
    const lips = report.faces[0].regions.find((r) => r.name === "lips")!;
    expect(lips.passed).toBe(false);
    expect(lips.advice).toEqual([`colour shift on the lips (ΔE ${lips.scores.deltaE!.toFixed(1)}): raise resemblance by 0.05`]);
    expect(report.advice.at(-1)).toBe(RERUN_ADVICE);
  });

  it("flags blotches painted on the skin as mottling on the skin, with its advice", () => {
    // Blotches of three quarters of the labelled set's strength: past the limit, by little enough that
    // lowering creativity is the advice (much stronger ones get "the thick model alone").
    const blotchy = mottle(faithful, [ASTRONAUT_FACE], 2, 0.75 * BLOTCH_AMPLITUDE);
    const report = buildReview({ source, result: blotchy, faces: [ASTRONAUT_FACE], scale: 2, settings });
    expect(report.verdict).toBe("warn");
    const skinCheck = report.checks.find((c) => c.region === "skin" && c.metric === "mottling")!;
    expect(skinCheck).toMatchObject({ metric: "mottling", passed: false });
    expect(skinCheck.value).toBeGreaterThan(MOTTLING_MAX);
    expect(skinCheck.advice).toMatch(/^blotchy skin \(mottling\): lower creativity to 0\.(05|10|15|20|25)$/);
    // The features' feathered masks reach the blotched cheek around them, so this faint
    // synthetic texture may read as slightly sharper there; nothing else is flagged.
    const others = report.checks.filter((c) => !c.passed && c !== skinCheck);
    expect(new Set(others.map((c) => c.metric))).toEqual(new Set(["texture-ratio"]));
  });

  it("without a face, scores the whole image and says the protections were not applied", () => {
    const report = buildReview({ source, result: faithful, faces: [], scale: 2, settings: {} });
    expect(report.faces).toEqual([]);
    expect(report.image?.name).toBe("image");
    expect(report.image?.rect).toEqual({ x: 0, y: 0, width: 256, height: 256 });
    expect(report.checks.map((c) => c.region)).toEqual(["image", "image", "image", "image", "image"]);
    expect(report.checks.every((c) => c.face === undefined)).toBe(true);
    expect(report.advice[0]).toBe(NO_FACE_ADVICE);
  });

  it("adds the guide's warnings for speculative scales and high creativity", () => {
    // Flat, so nothing but the settings draws advice.
    const small = imageOf(16, 16, () => [0.78, 0.6, 0.5]);
    const report = buildReview({ source: small, result: enlargeNearest(small, 6), faces: [], scale: 6, settings: { creativity: 0.7 } });
    expect(report.advice).toEqual([
      NO_FACE_ADVICE,
      "at 6× much of the fine detail is the models' guess: compare at 100 % before printing",
      "creativity 0.7 is above 0.6: features such as eyebrow shape and iris tone may change (0.2–0.35 keeps a person identifiable)",
    ]);
  });

  it("compares with a ground-truth reference when given, and never with the fidelity branch", () => {
    const warmer = mapPixels(faithful, ([r, g, b]) => [r + 0.04, g, b - 0.03]);
    const report = buildReview({ source, result: faithful, reference: warmer, faces: [ASTRONAUT_FACE], scale: 2, settings });
    expect(report.comparedWith).toBe("reference");
    expect(report.verdict).toBe("warn");
    // A fidelity branch equal to the shifted result does not excuse the shift: the source is the comparison.
    const withFidelity = buildReview({ source, result: warmer, fidelity: warmer, faces: [ASTRONAUT_FACE], scale: 2, settings });
    expect(withFidelity.comparedWith).toBe("source");
    expect(withFidelity.verdict).toBe("warn");
  });

  it("is deterministic", () => {
    const input = { source, result: faithful, faces: [ASTRONAUT_FACE], scale: 2, settings };
    expect(JSON.stringify(buildReview(input))).toBe(JSON.stringify(buildReview(input)));
  });

  it("refuses a result that is not the source times the scale", () => {
    expect(() => buildReview({ source, result: faithful, faces: [], scale: 3, settings })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", message: "Expected an image of 384×384 (the source × 3) for result but received \"256×256\" of type string" }),
    );
  });

  it("shortens to the protocol's report, which its schema accepts", () => {
    const warmer = mapPixels(faithful, ([r, g, b]) => [r + 0.04, g, b - 0.03]);
    const report = buildReview({ source, result: warmer, faces: [ASTRONAUT_FACE], scale: 2, settings });
    const wire = toProtocolReport(report);
    expect(parse(reviewReportSchema, wire, "report")).toEqual(wire);
    expect(wire).toMatchObject({ verdict: "warn", faces: 1 });
    expect(wire.checks).toHaveLength(22);
    expect(wire.advice).toBe(report.advice.join("; "));
  });
});

describe("buildReview on large or crowded images", () => {
  it("scores the centre of a result too large to score whole, in the source's proportions", () => {
    // 120×60 at 4× is 115,200 output pixels; with a limit of 256² the centre is scored.
    const wide = imageOf(120, 60, () => [0.5, 0.5, 0.5]);
    const report = buildReview({ source: wide, result: enlargeNearest(wide, 4), faces: [], scale: 4, settings: {}, wholeImageMaxPixels: 256 * 256 });
    expect(report.image?.sourceRect).toEqual({ x: 15, y: 7, width: 90, height: 45 });
    expect(report.image!.rect.width * report.image!.rect.height).toBeLessThanOrEqual(256 * 256);
    expect(buildReview({ source: wide, result: enlargeNearest(wide, 4), faces: [], scale: 4, settings: {} }).image?.sourceRect).toEqual({ x: 0, y: 0, width: 120, height: 60 });
  });

  it("reviews at most eleven faces and says how many were found", () => {
    const faces = Array.from({ length: 13 }, () => ASTRONAUT_FACE);
    const report = buildReview({ source, result: faithful, faces, scale: 2, settings });
    expect(report.faces).toHaveLength(11);
    expect(report.facesFound).toBe(13);
    expect(report.checks).toHaveLength(242);
    expect(report.advice).toContain("13 faces found: the 11 most certain were reviewed");
    expect(toProtocolReport(report).faces).toBe(13);
  });
});

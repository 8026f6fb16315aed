/**
 * The review's calibration on the labelled set (review-set.ts): every sample is reviewed as
 * the command line would review it (faces found on the source, scores against the source),
 * and the review's flags are compared with the labels. Prints, per artifact, precision and
 * recall with the shipped thresholds, and, per score, the threshold the set itself would
 * choose (best F1), so a change to the scores or the set shows whether thresholds.ts still
 * holds.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { repositoryRoot } from "@portrait-upscale/models";
import { decodeImage } from "../image/codec";
import { buildReview, type ReviewCheck, type ReviewReport } from "../review/build-review";
import { detectFaces } from "../portrait/faces";
import type { RegionScores } from "../review/scores";
import { ADDED_DETAIL_MAX, BANDING_MAX, DELTA_E_MAX, HALO_MAX, MOTTLING_MAX, TEXTURE_RATIO_MAX, TEXTURE_RATIO_MIN } from "../review/thresholds";
import { ARTIFACTS, labelledSamples, type Artifact, type LabelledSample, type LabelledSetDeps, type LabelledSource } from "./review-set";

/** A reviewed sample: its labels, what the review flagged, and its most extreme scores. */
export interface ReviewedSample {
  readonly sample: LabelledSample;
  readonly report: ReviewReport;
  readonly flagged: ReadonlySet<Artifact>;
}

/** The artifact a failed check stands for. */
export function artifactOf(check: ReviewCheck): Artifact | undefined {
  switch (check.metric) {
    case "added-detail":
      return "invented";
    case "texture-ratio":
      return check.value < (check.min ?? -Infinity) ? "plastic" : "invented";
    case "halo":
      return "halo";
    case "delta-e":
      return "colour";
    case "banding":
      return "banding";
    case "mottling":
      return "blotchy";
    default:
      return undefined;
  }
}

/** Reviews one labelled sample with faces found on its source. */
export async function reviewSample(sample: LabelledSample, deps: Pick<LabelledSetDeps, "runDetector">): Promise<ReviewedSample> {
  const faces = await detectFaces(sample.source, deps.runDetector);
  const report = buildReview({ source: sample.source, result: sample.result, faces, scale: sample.scale, settings: sample.settings });
  const flagged = new Set<Artifact>();
  for (const check of report.checks) {
    const artifact = check.passed ? undefined : artifactOf(check);
    if (artifact) flagged.add(artifact);
  }
  return { sample, report, flagged };
}

/** Precision and recall of one artifact over the set. */
export interface ArtifactScore {
  readonly artifact: Artifact;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly precision: number;
  readonly recall: number;
}

/** Per artifact: hits on samples labelled with it, false alarms on samples neither labelled nor tolerating it. */
export function artifactScores(reviewed: readonly ReviewedSample[]): ArtifactScore[] {
  return ARTIFACTS.map((artifact) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const { sample, flagged } of reviewed) {
      const labelled = sample.labels.includes(artifact);
      if (labelled && flagged.has(artifact)) tp++;
      else if (labelled) fn++;
      else if (flagged.has(artifact) && !sample.tolerated.includes(artifact)) fp++;
    }
    return {
      artifact,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    };
  });
}

/** A score and the side of it that flags an artifact. */
interface ScoreRule {
  readonly label: string;
  readonly artifact: Artifact;
  readonly score: keyof RegionScores;
  readonly side: "above" | "below";
  readonly shipped: number;
}

const RULES: readonly ScoreRule[] = [
  { label: "added detail, max", artifact: "invented", score: "addedDetail", side: "above", shipped: ADDED_DETAIL_MAX },
  { label: "texture ratio, max", artifact: "invented", score: "textureRatio", side: "above", shipped: TEXTURE_RATIO_MAX },
  { label: "texture ratio, min", artifact: "plastic", score: "textureRatio", side: "below", shipped: TEXTURE_RATIO_MIN },
  { label: "halo, max", artifact: "halo", score: "halo", side: "above", shipped: HALO_MAX },
  { label: "ΔE, max", artifact: "colour", score: "deltaE", side: "above", shipped: DELTA_E_MAX },
  { label: "banding, max", artifact: "banding", score: "banding", side: "above", shipped: BANDING_MAX },
  { label: "mottling, max", artifact: "blotchy", score: "mottling", side: "above", shipped: MOTTLING_MAX },
];

const MOTTLING_RULE = RULES.find((rule) => rule.score === "mottling")!;

/** A sample's most extreme value of a score over its regions, on the side the rule flags. */
function extreme(report: ReviewReport, rule: ScoreRule): number {
  const values = [...report.faces.flatMap((face) => face.regions), ...(report.image ? [report.image] : [])].flatMap((r) => {
    const value = r.scores[rule.score];
    return value === undefined ? [] : [value];
  });
  if (values.length === 0) return NaN;
  return rule.side === "above" ? Math.max(...values) : Math.min(...values);
}

/** What the set says about one threshold: the best one on it and the two groups' ranges. */
export interface ThresholdFit {
  readonly rule: string;
  readonly shipped: number;
  readonly best: number;
  readonly bestF1: number;
  /** Range of the extreme over samples with the artifact, and over good samples. */
  readonly flawed: readonly [number, number];
  readonly good: readonly [number, number];
}

/**
 * The threshold with the best F1 on the set for every rule; ties are broken by the widest
 * margin (the midpoint between the neighbouring values).
 */
export function fitThresholds(reviewed: readonly ReviewedSample[]): ThresholdFit[] {
  return RULES.map((rule) => {
    const points = reviewed
      .filter(({ sample }) => !sample.tolerated.includes(rule.artifact))
      .map(({ sample, report }) => ({ value: extreme(report, rule), positive: sample.labels.includes(rule.artifact), good: sample.labels.length === 0 }))
      .filter((p) => !Number.isNaN(p.value));
    const sorted = [...new Set(points.map((p) => p.value))].sort((a, b) => a - b);
    const candidates = sorted.slice(0, -1).map((v, i) => (v + sorted[i + 1]) / 2);
    let best = rule.shipped;
    let bestF1 = -1;
    let bestGap = -1;
    for (const t of candidates) {
      const flags = (v: number): boolean => (rule.side === "above" ? v > t : v < t);
      const tp = points.filter((p) => p.positive && flags(p.value)).length;
      const fp = points.filter((p) => !p.positive && flags(p.value)).length;
      const fn = points.filter((p) => p.positive && !flags(p.value)).length;
      const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
      const gap = Math.min(...points.map((p) => Math.abs(p.value - t)));
      if (f1 > bestF1 || (f1 === bestF1 && gap > bestGap)) [best, bestF1, bestGap] = [t, f1, gap];
    }
    const range = (values: number[]): [number, number] => (values.length ? [Math.min(...values), Math.max(...values)] : [NaN, NaN]);
    return {
      rule: rule.label,
      shipped: rule.shipped,
      best,
      bestF1,
      flawed: range(points.filter((p) => p.positive).map((p) => p.value)),
      good: range(points.filter((p) => p.good).map((p) => p.value)),
    };
  });
}

/** Builds the set from the bench's sources and reviews every sample. */
export async function reviewLabelledSet(sources: readonly LabelledSource[], deps: LabelledSetDeps): Promise<ReviewedSample[]> {
  const reviewed: ReviewedSample[] = [];
  for (const source of sources) for (const sample of await labelledSamples(source, deps)) reviewed.push(await reviewSample(sample, deps));
  return reviewed;
}

/** Prints the set's samples, precision and recall per artifact, and the thresholds' fit. */
export function printReviewCalibration(reviewed: readonly ReviewedSample[], write: (line: string) => void): void {
  const good = reviewed.filter((r) => r.sample.labels.length === 0);
  write(`\nReview calibration: ${reviewed.length} labelled upscales (${good.length} good), reviewed against their sources`);
  write(`${"sample".padEnd(62)}${"labels".padEnd(18)}${"flagged".padEnd(30)}${"verdict".padEnd(9)}skin mottling`);
  for (const { sample, report, flagged } of reviewed) {
    const mottling = extreme(report, MOTTLING_RULE);
    write(
      `${sample.name.padEnd(62)}${(sample.labels.join(",") || "good").padEnd(18)}${([...flagged].join(",") || "—").padEnd(30)}${report.verdict.padEnd(9)}${Number.isNaN(mottling) ? "—" : mottling.toFixed(2)}`,
    );
  }
  const tolerated = good.filter((r) => r.report.verdict === "warn" && [...r.flagged].every((a) => r.sample.tolerated.includes(a))).length;
  write(`good results passing: ${good.filter((r) => r.report.verdict === "pass").length} of ${good.length}${tolerated ? ` (${tolerated} more flagged only for what they tolerate)` : ""}`);
  write(`\n${"artifact".padEnd(10)}${"precision".padStart(10)}${"recall".padStart(8)}${"TP".padStart(5)}${"FP".padStart(5)}${"FN".padStart(5)}`);
  for (const s of artifactScores(reviewed)) {
    write(
      `${s.artifact.padEnd(10)}${s.precision.toFixed(2).padStart(10)}${s.recall.toFixed(2).padStart(8)}${String(s.truePositives).padStart(5)}${String(s.falsePositives).padStart(5)}${String(s.falseNegatives).padStart(5)}`,
    );
  }
  write(`\n${"threshold".padEnd(20)}${"shipped".padStart(9)}${"set's best".padStart(12)}${"F1".padStart(6)}   flawed range        good range`);
  for (const fit of fitThresholds(reviewed)) {
    const range = ([a, b]: readonly [number, number]): string => `${a.toFixed(3)}–${b.toFixed(3)}`.padEnd(20);
    write(`${fit.rule.padEnd(20)}${fit.shipped.toFixed(3).padStart(9)}${fit.best.toFixed(3).padStart(12)}${fit.bestF1.toFixed(2).padStart(6)}   ${range(fit.flawed)}${range(fit.good)}`);
  }
}

/** The README's sample, reviewed at 2× and 4× as a new user would first run it. */
const README_SAMPLE = "astronaut-face-128.png";

/**
 * The bench's section: the labelled set from the bench's degraded sources plus the README's
 * sample, reviewed and printed.
 */
export async function runReviewCalibration(sources: readonly LabelledSource[], deps: LabelledSetDeps, write: (line: string) => void): Promise<ReviewedSample[]> {
  const sample = (await decodeImage(await readFile(join(repositoryRoot(), "test", "fixtures", README_SAMPLE)))).image;
  const all: LabelledSource[] = [...sources, { name: `${README_SAMPLE} x2`, source: sample, scale: 2 }, { name: `${README_SAMPLE} x4`, source: sample, scale: 4 }];
  const reviewed = await reviewLabelledSet(all, deps);
  printReviewCalibration(reviewed, write);
  return reviewed;
}

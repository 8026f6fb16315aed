/**
 * Progress over a whole upscale job with an ETA. Tiles dominate the time, so the ETA is the
 * mean time per finished tile times the tiles left (restarting when the driver shrinks tiles).
 * A portrait run reports its stages (faces, fidelity, detail, blend) with tile fractions; their
 * shares of the job come from a plan of weighted steps (see `portraitSteps`).
 */

/** Stages in order; `upscale` is the bare model's, `faces`…`blend` the portrait pipeline's; `review` comes last when asked for. */
export type UpscaleStage = "decode" | "faces" | "cleanup" | "fidelity" | "detail" | "blend" | "restore" | "upscale" | "encode" | "review";
/** The stages the portrait pipeline reports (`restore`: a brought face-restore model, face by face). */
export type PortraitProgressStage = "faces" | "cleanup" | "fidelity" | "detail" | "blend" | "restore";

/** One step of a portrait run and its share of the work (any unit; only ratios matter). */
export interface WeightedStep {
  readonly stage: PortraitProgressStage;
  readonly weight: number;
}

export interface UpscaleProgress {
  readonly stage: UpscaleStage;
  /** 0..1 over the whole job. */
  readonly progress: number;
  readonly tile?: number;
  readonly tiles?: number;
  readonly etaSeconds?: number;
  /** The prediction refined once routing decided where models run (sent from then on). */
  readonly estimateSeconds?: number;
}

/** Share of the job given to decoding and encoding; the rest is tiles. */
const DECODE_SHARE = 0.02;
const ENCODE_SHARE = 0.05;

/** Turns tile events into {@link UpscaleProgress} with an ETA. */
export class ProgressTracker {
  private tilesStartedAt = 0;
  private lastTiles = 0;
  private lastTileAt = 0;
  private steps: readonly WeightedStep[] = [];
  private stepIndex = 0;
  private stepStarts: number[] = [];
  private totalWeight = 0;
  /** The cost model's prediction for the whole job, seconds: the ETA before any tile is timed. */
  private predicted: number | undefined;
  private refined: number | undefined;

  private readonly startedAt: number;

  constructor(
    private readonly emit: ((progress: UpscaleProgress) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
  }

  /** Seeds the ETA with the cost model's prediction, so it is right from the first second. */
  seed(predictedSeconds: number): void {
    this.predicted = predictedSeconds;
  }

  /**
   * Scales the prediction by `ratio` (routing's cost over the whole-image cost, see
   * `routedCostRatio`): later events carry the refined `estimateSeconds`. Nothing without a seed.
   */
  refine(ratio: number): void {
    if (this.predicted === undefined || !(ratio > 0) || !Number.isFinite(ratio)) return;
    this.predicted *= ratio;
    this.refined = Math.round(this.predicted * 10) / 10;
  }

  decode(): void {
    const etaSeconds = this.eta(0, 0);
    this.send({ stage: "decode", progress: 0, ...(etaSeconds !== undefined ? { etaSeconds } : {}) });
  }

  /**
   * The ETA when `done` of the work took `elapsed` seconds: the prediction at first, the
   * measured rate more and more as work is done (all of it from half-way on). The prediction's
   * part counts down with the time since the start, but stays between half and all of the
   * predicted work left, so a wrong prediction neither reaches zero early nor climbs.
   */
  private eta(done: number, elapsed: number): number | undefined {
    const observed = done > 0.01 ? (elapsed / done) * (1 - done) : undefined;
    if (this.predicted === undefined) return observed;
    const left = this.predicted * (1 - done);
    const predicted = Math.min(left, Math.max(left / 2, this.predicted - (this.now() - this.startedAt) / 1000));
    if (observed === undefined) return predicted;
    const trust = Math.min(1, done * 2);
    return trust * observed + (1 - trust) * predicted;
  }

  upscaleStarted(): void {
    this.tilesStartedAt = this.now();
  }

  /** A finished tile; `fraction` is the work done when tiles differ in cost (a split model's stages). */
  tile(tile: number, tiles: number, fraction: number = tile / tiles): void {
    if (tiles !== this.lastTiles) {
      // A new layout after halving the tile: earlier tiles say nothing about the new ones.
      if (this.lastTiles !== 0) this.tilesStartedAt = this.lastTileAt;
      this.lastTiles = tiles;
    }
    this.lastTileAt = this.now();
    const elapsed = (this.now() - this.tilesStartedAt) / 1000;
    const etaSeconds = this.predicted === undefined ? (elapsed / fraction) * (1 - fraction) : this.eta(fraction, elapsed);
    const progress = DECODE_SHARE + (1 - DECODE_SHARE - ENCODE_SHARE) * fraction;
    this.send({ stage: "upscale", progress, tile, tiles, ...(etaSeconds !== undefined ? { etaSeconds } : {}) });
  }

  /** Starts a portrait run made of `steps`, in the order the pipeline reports them. */
  portraitStarted(steps: readonly WeightedStep[]): void {
    this.steps = steps;
    this.stepIndex = 0;
    let sum = 0;
    this.stepStarts = steps.map((step) => {
      const start = sum;
      sum += step.weight;
      return start;
    });
    this.totalWeight = sum;
    this.tilesStartedAt = this.now();
  }

  /**
   * A portrait stage's progress (`fraction` of its tiles done). A stage seen again after a
   * later one (the second pass of a two-pass run) moves on to its next step in the plan.
   */
  portraitStage(stage: PortraitProgressStage, fraction: number): void {
    if (this.steps.length === 0 || this.totalWeight <= 0) return;
    if (this.steps[this.stepIndex]?.stage !== stage) {
      const next = this.steps.findIndex((step, index) => index > this.stepIndex && step.stage === stage);
      if (next < 0) return;
      this.stepIndex = next;
    }
    const clamped = Math.min(1, Math.max(0, fraction));
    const done = (this.stepStarts[this.stepIndex] + this.steps[this.stepIndex].weight * clamped) / this.totalWeight;
    const elapsed = (this.now() - this.tilesStartedAt) / 1000;
    // Until some work is done the rate is unknown: the prediction, when there is one, stands in.
    const etaSeconds = this.eta(done, elapsed);
    const progress = DECODE_SHARE + (1 - DECODE_SHARE - ENCODE_SHARE) * done;
    this.send({ stage, progress, ...(etaSeconds !== undefined ? { etaSeconds } : {}) });
  }

  private send(progress: UpscaleProgress): void {
    this.emit?.(this.refined === undefined ? progress : { ...progress, estimateSeconds: this.refined });
  }

  encode(): void {
    this.send({ stage: "encode", progress: 1 - ENCODE_SHARE, etaSeconds: 0 });
  }

  done(): void {
    this.send({ stage: "encode", progress: 1, etaSeconds: 0 });
  }
}

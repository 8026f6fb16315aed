/**
 * Which progress updates are worth sending when each one costs something (a Redis write and
 * an event for a studio worker's job): every change of stage at once, so a short stage is
 * never skipped; within a stage at most one update per interval; and the last one (progress 1).
 */

/** The parts of a progress update the sampler looks at. */
export interface SampledProgress {
  readonly stage: string;
  readonly progress: number;
}

/**
 * Wraps `send` so it hears every stage change and the end immediately, and the percent
 * within a stage at most every `intervalMs`.
 * @example const report = sampleProgress((p) => void job.updateProgress(p), 250); report({ stage: "decode", progress: 0 });
 */
export function sampleProgress<P extends SampledProgress>(send: (progress: P) => void, intervalMs: number, now: () => number = Date.now): (progress: P) => void {
  let lastStage: string | undefined;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  return (progress) => {
    const at = now();
    const newStage = progress.stage !== lastStage;
    if (!newStage && progress.progress < 1 && at - lastSentAt < intervalMs) return;
    lastStage = progress.stage;
    lastSentAt = at;
    send(progress);
  };
}

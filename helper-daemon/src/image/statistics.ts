/**
 * Order statistics over plain numbers: pixel values of a plane or timed runs alike. Pure;
 * the input is never reordered.
 */

/** What the median of an even count is: the mean of the two middle values, or the upper of them. */
export type EvenMedian = "mean" | "upper";

/**
 * The median of `values`. An even count gives the mean of the two middle values, or with
 * `even: "upper"` the upper one, which is always one of the inputs (the robust pixel
 * statistics take it so that their results stay what they were tuned on). Empty input, or any
 * NaN in it, gives NaN: a NaN has no place in the order, and hiding it would hide a bug upstream.
 *
 * @example median([3, 1, 2]) // 2
 * @example median([4, 1, 3, 2]) // 2.5; median([4, 1, 3, 2], "upper") // 3
 */
export function median(values: ArrayLike<number>, even: EvenMedian = "mean"): number {
  // A typed array sorts numerically, NaN last.
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0 || Number.isNaN(sorted[n - 1])) return Number.NaN;
  const upper = sorted[n >> 1];
  return n % 2 === 1 || even === "upper" ? upper : (sorted[(n >> 1) - 1] + upper) / 2;
}

/**
 * What a person at the command line reads for an error: `portrait-upscale: CODE: message`, then
 * the advice for that code. Bad values are named as typed, without the type wording the
 * protocol's messages carry (on the command line every value arrives as text).
 */
import { ERROR_ADVICE, type ErrorPayload } from "@portrait-upscale/shared";
import { PROGRAM } from "./help";

/** The stderr lines for `payload`: the error, then `advice: …`. */
export function errorLines(payload: ErrorPayload): string[] {
  return [`${PROGRAM}: ${payload.code}: ${userMessage(payload)}`, `advice: ${ERROR_ADVICE[payload.code]}`];
}

function userMessage(payload: ErrorPayload): string {
  const data = payload.data ?? {};
  const { expected, name } = data;
  if (typeof expected !== "string" || typeof name !== "string" || !("received" in data)) return payload.message;
  return `Expected ${expected} for ${name} but received ${JSON.stringify(data.received)}`;
}

/**
 * The known word closest to `typed` when it is close enough to be a typo (at most a third of
 * its letters differ), for "did you mean" hints. Written here: a dozen lines, not a dependency.
 */
export function closestWord(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(typed.length / 3)) + 1;
  for (const word of known) {
    const distance = editDistance(typed, word);
    if (distance < bestDistance) [best, bestDistance] = [word, distance];
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

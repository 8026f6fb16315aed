import { PortraitError } from "../src/errors";

/** Runs `run`, which must throw a PortraitError, and returns that error for exact assertions. */
export function failure(run: () => unknown): PortraitError {
  try {
    run();
  } catch (error) {
    if (error instanceof PortraitError) return error;
    throw error;
  }
  throw new Error("expected a PortraitError");
}

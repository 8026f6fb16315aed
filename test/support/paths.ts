import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root, for tests that start real programs from the checkout. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

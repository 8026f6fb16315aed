import type { BuildOptions, BuildResult } from "esbuild";

/** `build(options)` with each output written to a temporary name and renamed over the old file when it changed. */
export function buildAtomically(options: BuildOptions): Promise<BuildResult>;

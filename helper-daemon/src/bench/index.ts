/**
 * Every benchmark section, in the order `npm run bench` runs them. To add one, create
 * `bench/<name>.ts` exporting a {@link BenchSection} and add it here (one import, one entry).
 */
import type { BenchSection } from "./section";
import { memorySection } from "./memory";
import { overheadSection } from "./overhead";
import { throughputSection } from "./throughput";
import { daemonSection } from "./daemon-bench";
import { studioSection } from "./studio";
import { modelMemorySection } from "./model-memory";
import { scalingSection } from "./scaling";
import { portraitSpeedSection } from "./portrait-speed";
import { warmSessionsSection } from "./warm-sessions";

export const BENCH_SECTIONS: readonly BenchSection[] = [
  throughputSection,
  overheadSection,
  memorySection,
  daemonSection,
  studioSection,
  modelMemorySection,
  scalingSection,
  portraitSpeedSection,
  warmSessionsSection,
];

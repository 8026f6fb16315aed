import { defineConfig } from "vitest/config";

// A config file is the one place a default export is required (vitest's contract).
export default defineConfig({
  test: {
    include: ["{shared,models,helper-daemon,plugin-uxp,test}/**/*.test.{ts,tsx}"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Model tests already use every core through onnxruntime's own threads:
    // more than two test processes at once only makes them all slower.
    pool: "forks",
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    // Tests that open model sessions in-process must not leave onnxruntime's telemetry files
    // either (helper-daemon/src/inference/telemetry.ts).
    env: { ORT_DISABLE_TELEMETRY: "1" },
  },
});

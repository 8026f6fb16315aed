// Bundles the daemon's entry points; native packages stay external (they ship binaries).
import { buildAtomically } from "./scripts/build-atomic.mjs";
import { existsSync } from "node:fs";

const entryPoints = ["src/cli.ts", "src/inference/worker.ts", "src/bench.ts", "src/bench/quality.ts", "src/bench/int8-study.ts"].filter((entry) => existsSync(entry));
await buildAtomically({
  entryPoints,
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external: ["onnxruntime-node", "sharp", "ws", "bullmq", "ioredis"],
  // Bundled ESM still needs require() for CommonJS dependencies.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // CommonJS dependencies may also read __filename (write-file-atomic names its temporaries with it).
  define: { __filename: "import.meta.filename" },
  logLevel: "warning",
});

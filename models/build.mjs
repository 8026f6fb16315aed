// Bundles the install-time converter so `npm install` can run it with plain node.
import { build } from "esbuild";
import { existsSync } from "node:fs";

const entryPoints = ["src/install.ts"].filter((entry) => existsSync(entry));
if (entryPoints.length > 0) {
  await build({
    entryPoints,
    outdir: "dist",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    logLevel: "warning",
  });
}

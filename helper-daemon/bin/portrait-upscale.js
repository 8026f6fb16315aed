#!/usr/bin/env node
// Thin launcher so the bin works from a checkout: the real program is the esbuild bundle.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
if (!existsSync(bundle)) {
  console.error("portrait-upscale is not built yet: run `npm install` (or `npm run build`) at the repository root.");
  process.exit(1);
}
await import(bundle);

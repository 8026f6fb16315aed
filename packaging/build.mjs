// Bundles the packager (packaging/src/main.ts) with esbuild and runs it; arguments pass through.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
await build({
  absWorkingDir: here,
  entryPoints: ["src/main.ts"],
  outfile: "dist/package.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
const result = spawnSync(process.execPath, [`${here}dist/package.mjs`, ...process.argv.slice(2)], { stdio: "inherit", cwd: fileURLToPath(new URL("..", import.meta.url)) });
process.exit(result.status ?? 1);

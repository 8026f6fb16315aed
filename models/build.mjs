// Bundles the install-time converter so `npm install` can run it with plain node.
// src/install-cli.ts only exports (the daemon's CLI imports the installer too); the few lines that
// make it a program live here, so importing it never starts an installation.
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

if (existsSync(`${here}src/install-cli.ts`)) {
  await build({
    stdin: {
      contents: 'import { runInstallCli } from "./src/install-cli";\nprocess.exitCode = await runInstallCli(process.argv.slice(2));\n',
      resolveDir: here,
      sourcefile: "install-main.ts",
      loader: "ts",
    },
    outfile: `${here}dist/install.js`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    // Bundled ESM still needs require() for CommonJS dependencies (tar-stream, protobufjs).
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning",
  });
}

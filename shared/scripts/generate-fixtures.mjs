// Writes shared/fixtures/protocol/*.json from shared/fixtures/examples.ts.
// Bundled with esbuild in memory because Node does not run TypeScript directly.
import { build } from "esbuild";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const fixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url));
const outDir = join(fixturesDir, "protocol");

const bundle = await build({
  entryPoints: [join(fixturesDir, "examples.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  logLevel: "silent",
});
const source = bundle.outputFiles[0].text;
const { renderFixtureFiles } = await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);

mkdirSync(outDir, { recursive: true });
for (const name of readdirSync(outDir)) if (name.endsWith(".json")) rmSync(join(outDir, name));
const files = renderFixtureFiles();
for (const [name, text] of files) writeFileSync(join(outDir, name), text);
console.log(`Wrote ${files.size} fixtures to shared/fixtures/protocol/.`);

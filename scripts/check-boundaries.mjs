// Enforces the package boundaries described in docs/architecture.md:
// - shared/ and plugin-uxp/ import no Node built-ins (they run in UXP and browsers);
// - only helper-daemon/src/inference/ imports onnxruntime-node (test files excepted);
// - shared/ and plugin-uxp/ never import sharp or onnxruntime-node;
// - named exports only (no `export default`).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative, sep } from "node:path";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const sourceDirs = ["shared/src", "plugin-uxp/src", "helper-daemon/src", "models/src", "test"];
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry === "node_modules" || entry === "dist") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry)) yield path;
  }
}

const problems = [];
for (const dir of sourceDirs) {
  for (const file of walk(join(root, dir))) {
    const rel = relative(root, file).split(sep).join("/");
    const text = readFileSync(file, "utf8");
    const isTest = /\.test\.tsx?$/.test(rel);
    const browserSide = rel.startsWith("shared/") || rel.startsWith("plugin-uxp/");
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      const bare = specifier.replace(/^node:/, "").split("/")[0];
      if (browserSide && !isTest && (builtins.has(specifier) || builtins.has(bare))) {
        problems.push(`${rel}: imports the Node built-in "${specifier}" (shared/ and plugin-uxp/ must run outside Node)`);
      }
      if (browserSide && !isTest && (specifier === "sharp" || specifier === "onnxruntime-node")) {
        problems.push(`${rel}: imports "${specifier}" (native packages stay in the daemon)`);
      }
      if (specifier === "onnxruntime-node" && !isTest && !rel.startsWith("helper-daemon/src/inference/")) {
        problems.push(`${rel}: imports onnxruntime-node outside helper-daemon/src/inference/`);
      }
    }
    if (/^\s*export\s+default\b/m.test(text) && !/\.config\.(ts|mjs|js)$/.test(rel)) {
      problems.push(`${rel}: uses a default export (named exports only)`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Boundary check failed (${problems.length}):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("Boundary check passed.");

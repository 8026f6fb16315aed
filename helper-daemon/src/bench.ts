/**
 * `npm run bench` (bundled to dist/bench.js): runs the benchmark sections and prints tables.
 * Options: `--full` adds the largest cases; `--only NAME[,NAME]` picks sections.
 */
import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { BENCH_SECTIONS } from "./bench/index";
import { MEMORY_CHILD_FLAG, runMemoryChild } from "./bench/memory";
import { MODEL_MEMORY_CHILD_FLAG, runModelMemoryChild } from "./bench/model-memory";
import type { BenchContext } from "./bench/section";
import { onnxruntimeVersion, physicalCoreCount } from "./inference/index";
import { keepOnnxruntimePrivate } from "./inference/telemetry";

keepOnnxruntimePrivate();

function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, index) => cell.padEnd(widths[index])).join(" | ")} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  if (process.argv[2] === MEMORY_CHILD_FLAG) {
    await runMemoryChild(process.argv.slice(3));
    return;
  }
  if (process.argv[2] === MODEL_MEMORY_CHILD_FLAG) {
    await runModelMemoryChild(process.argv[3], Number(process.argv[4]));
    return;
  }
  const { values } = parseArgs({ options: { full: { type: "boolean" }, only: { type: "string" } } });
  const only = values.only?.split(",");
  const sections = BENCH_SECTIONS.filter((section) => !only || only.includes(section.name));
  if (sections.length === 0) throw new Error(`No section named ${values.only}; sections: ${BENCH_SECTIONS.map((s) => s.name).join(", ")}`);
  console.log(
    `portrait-upscale bench: ${process.platform} ${process.arch}, ${cpus()[0]?.model ?? "unknown CPU"}, ${physicalCoreCount()} physical core(s), ` +
      `node ${process.versions.node}, onnxruntime ${onnxruntimeVersion() ?? "?"}${values.full ? ", --full" : ""}`,
  );
  const context: BenchContext = {
    full: values.full === true,
    table: printTable,
    note: (text) => console.log(text),
  };
  for (const section of sections) {
    console.log(`\n## ${section.name}: ${section.summary}`);
    const started = performance.now();
    await section.run(context);
    console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}

await main();

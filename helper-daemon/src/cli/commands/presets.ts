/**
 * `portrait-upscale presets list|show ID|validate FILE…`: the presets the daemon would offer
 * (built-in, the user's folder, the studio's folder), one preset in full, and a check of
 * preset files before they are shared with a studio.
 */
import { join, resolve } from "node:path";
import { type PresetEntry, toErrorPayload } from "@portrait-upscale/shared";
import { loadConfig } from "../../config/config";
import { configDir } from "../../config/paths";
import { PresetStore, type PresetProblem, readPresetFile } from "../../presets/index";
import type { CliCommand, CliContext } from "../command";
import { EXIT_CODES, exitCodeFor } from "../exit-codes";
import { formatTable, writeJson } from "../output";
import { runSubcommand } from "../subcommands";

export const presetsCommand: CliCommand = {
  name: "presets",
  summary: "List the presets, show one in full, or validate preset files.",
  usage: ["presets list [--studio-folder DIR] [--json]", "presets show ID [--studio-folder DIR] [--json]", "presets validate FILE… [--json]"],
  details: [
    "list      every preset: built-in, then the user's folder (<config>/presets), then the",
    "          studio folder (config studioPresetFolder); a later source wins for the same id.",
    "          Files that are not valid presets are listed on stderr with the failing field.",
    "show      one preset's document (a good template for a new preset file) and its source.",
    "validate  checks preset files: JSON, every field, and the id matching the file name",
    "          (<id>.json). Exit code 2 when any file is invalid.",
  ].join("\n"),
  allowPositionals: true,
  options: {
    "studio-folder": { type: "string", valueName: "DIR", description: "Use this studio preset folder instead of the configured one." },
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  run: (context) =>
    runSubcommand(context, "presets", {
      list: { run: list },
      show: { arguments: { expected: "one preset id", count: "one" }, run: (_, [id]) => show(context, id) },
      validate: { arguments: { expected: "at least one preset file", count: "some" }, run: validate },
    }),
};

/** The store as the daemon would see it, read once (no watching). */
async function openStore(context: CliContext): Promise<PresetStore> {
  const dir = configDir(context.env);
  const flag = context.values["studio-folder"];
  const studioDir = typeof flag === "string" ? resolve(context.cwd, flag) : (await loadConfig(dir)).studioPresetFolder;
  return PresetStore.open({ userDir: join(dir, "presets"), studioDir, watch: "off" });
}

function describeEntry(entry: PresetEntry) {
  return { ...entry.preset, source: entry.source, file: entry.path ?? null };
}

function writeProblems(context: CliContext, problems: readonly PresetProblem[]): void {
  for (const problem of problems) context.stderr.write(`warning: skipped ${problem.message}\n`);
}

async function list(context: CliContext): Promise<number> {
  const store = await openStore(context);
  try {
    const entries = store.list();
    if (context.values.json) {
      writeJson(context, { ok: true, defaultPreset: store.defaultId(), presets: entries.map(describeEntry), problems: store.problems() });
      return EXIT_CODES.ok;
    }
    context.stdout.write(
      formatTable([
        ["ID", "NAME", "SCALE", "SOURCE", "LOCKED"],
        ...entries.map(({ preset, source }) => [
          preset.id + (preset.id === store.defaultId() ? " (default)" : ""),
          preset.name,
          `${preset.scale}×`,
          source,
          preset.locked ? "locked" : "",
        ]),
      ]),
    );
    writeProblems(context, store.problems());
    return EXIT_CODES.ok;
  } finally {
    store.close();
  }
}

async function show(context: CliContext, id: string): Promise<number> {
  const store = await openStore(context);
  try {
    const entry = store.get(id);
    if (context.values.json) {
      writeJson(context, { ok: true, ...describeEntry(entry) });
      return EXIT_CODES.ok;
    }
    context.stderr.write(`${entry.preset.name}: ${entry.source}${entry.path ? ` (${entry.path})` : ""}${entry.preset.locked ? ", locked" : ""}\n`);
    context.stdout.write(`${JSON.stringify(entry.preset, null, 2)}\n`);
    return EXIT_CODES.ok;
  } finally {
    store.close();
  }
}

async function validate(context: CliContext, files: readonly string[]): Promise<number> {
  const results: ({ file: string; valid: true; id: string; name: string; locked: boolean } | { file: string; valid: false; error: ReturnType<typeof toErrorPayload> })[] = [];
  for (const file of files) {
    const path = resolve(context.cwd, file);
    try {
      const preset = await readPresetFile(path);
      results.push({ file: path, valid: true, id: preset.id, name: preset.name, locked: preset.locked });
    } catch (error) {
      const payload = toErrorPayload(error);
      results.push({ file: path, valid: false, error: payload });
    }
  }
  const firstError = results.find((result) => !result.valid);
  if (context.values.json) {
    writeJson(context, { ok: firstError === undefined, files: results });
  } else {
    for (const result of results) {
      if (result.valid) context.stdout.write(`${result.file}: valid (${result.id}, "${result.name}"${result.locked ? ", locked" : ""})\n`);
      else context.stderr.write(`${result.error.code}: ${result.error.message}\n`);
    }
  }
  return firstError === undefined || firstError.valid ? EXIT_CODES.ok : exitCodeFor(firstError.error.code);
}

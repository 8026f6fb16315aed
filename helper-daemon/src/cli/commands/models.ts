/** `portrait-upscale models list|verify|add|measure`: what models exist, whether their files are sound, and bringing your own. */
import * as models from "@portrait-upscale/models";
import type { CliCommand, CliContext } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { formatBytes, formatTable, writeJson } from "../output";
import { DEVICE_OPTIONS } from "../request-options";
import { runSubcommand } from "../subcommands";
import { MODELS_ADD_OPTIONS, addModel } from "./models-add";
import { measureModel } from "./models-measure";

export const modelsCommand: CliCommand = {
  name: "models",
  summary: "List the models, verify (and repair) the converted model files, or bring and measure your own.",
  usage: [
    "models list [--json]",
    "models verify [--deep] [--repair] [--json]",
    "models add FILE.onnx --role detail|fidelity|face-restore --licence TEXT [--name NAME] [--studio] [--replace] [--no-measure] [--provider P] [--json]",
    "models measure NAME [--studio] [--provider P] [--threads N] [--json]",
  ],
  details: [
    "list     every model in the manifest: id, task, native scale, licence, file state",
    "verify   checks each converted file against its sha256 (fast: trusts an unchanged file",
    "         that was hashed before; --deep rehashes everything); exit code 5 when any",
    "         file is missing or corrupt. --repair converts the missing and corrupt ones again.",
    "add      checks a model you bring for its role (opset, shapes, value range, scale on a",
    "         tiny image) and records it with its sha256 and licence note in your model folder",
    "         (or the studio's with --studio); presets then name it as user:NAME. Then measures",
    "         it on this machine's provider (6 min for an x4plus-sized model on a busy 2-core",
    "         machine, less when idle; --no-measure skips it, and x4plus's figures are assumed).",
    "measure  measures a brought model again on the provider (e.g. after adding a GPU): the",
    "         context its tiles need, memory per input pixel and seconds per input megapixel,",
    "         recorded per provider; tiling, routing and estimates then use them.",
  ].join("\n"),
  allowPositionals: true,
  options: {
    deep: { type: "boolean", description: "verify: rehash every file, ignoring earlier checks." },
    repair: { type: "boolean", description: "verify: reinstall missing or corrupt models." },
    json: { type: "boolean", description: "Print one JSON object instead of text." },
    ...MODELS_ADD_OPTIONS,
    ...DEVICE_OPTIONS,
  },
  run: (context) =>
    runSubcommand(context, "models", {
      list: { run: list },
      verify: { run: verify },
      add: { arguments: { expected: "one .onnx file", count: "one" }, run: (_, [file]) => addModel(context, file) },
      measure: { arguments: { expected: "the NAME of one brought model", count: "one" }, run: (_, [name]) => measureModel(context, name) },
    }),
};

async function list(context: CliContext): Promise<number> {
  const manifest = models.loadManifest();
  const statuses = new Map((await models.verifyModels()).map((status) => [status.id, status]));
  const entries = manifest.models.map((model) => ({
    id: model.id,
    task: model.task,
    nativeScale: model.nativeScale ?? null,
    licence: model.licence,
    state: statuses.get(model.id)?.state ?? "missing",
    bytes: statuses.get(model.id)?.bytes ?? null,
    description: model.description,
  }));
  if (context.values.json) {
    writeJson(context, { ok: true, models: entries });
    return EXIT_CODES.ok;
  }
  context.stdout.write(
    formatTable([
      ["ID", "TASK", "SCALE", "STATE", "SIZE", "LICENCE"],
      ...entries.map((entry) => [
        entry.id,
        entry.task,
        entry.nativeScale === null ? "-" : `x${entry.nativeScale}`,
        entry.state,
        formatBytes(entry.bytes ?? undefined),
        entry.licence,
      ]),
    ]),
  );
  return EXIT_CODES.ok;
}

async function verify(context: CliContext): Promise<number> {
  const deep = context.values.deep === true;
  let statuses = await models.verifyModels({ deep });
  const broken = statuses.filter((status) => status.state !== "present");
  let repaired: string[] = [];
  if (context.values.repair === true && broken.length > 0) {
    // Progress lines go to stderr so that --json keeps stdout to one object.
    const log = (line: string): void => void context.stderr.write(`${line}\n`);
    log(`Reinstalling ${broken.map((status) => status.id).join(", ")}…`);
    await models.installModels({ only: broken.map((status) => status.id), force: true, log });
    repaired = broken.map((status) => status.id);
    statuses = await models.verifyModels({ deep: true });
  }
  const bad = statuses.filter((status) => status.state !== "present");
  if (context.values.json) {
    writeJson(context, { ok: bad.length === 0, deep, repaired, models: statuses });
  } else {
    context.stdout.write(
      formatTable([
        ["ID", "STATE", "CHECKED BY", "SIZE", "NOTE"],
        ...statuses.map((status) => [status.id, status.state, status.checkedBy, formatBytes(status.bytes), status.reason ?? ""]),
      ]),
    );
    if (bad.length > 0) {
      context.stderr.write(
        `${bad.length} model file(s) missing or corrupt. Run \`portrait-upscale models verify --repair\` (or \`npm install\`) to convert them again.\n`,
      );
    }
  }
  return bad.length === 0 ? EXIT_CODES.ok : EXIT_CODES.model;
}

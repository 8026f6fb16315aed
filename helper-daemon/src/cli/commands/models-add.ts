/**
 * `portrait-upscale models add FILE.onnx --role detail|fidelity|face-restore --licence TEXT
 * [--name NAME] [--studio] [--replace] [--no-measure]`: a model the user or the studio brings is
 * checked for its role (opset, shapes, value range, scale probed on a tiny image), recorded with
 * its sha256 and licence note in the user's (or the studio's) model folder, then measured.
 */
import { readFile } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import { USER_MODEL_ROLES, probeUserModel, type UserModelRole } from "../../user-models/probe";
import { USER_MODEL_PREFIX, addUserModel } from "../../user-models/registry";
import type { CliContext } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { writeJson } from "../output";
import { describeMeasurement, measureAdded, modelFolderOf } from "./models-measure";

/** The options `models add` adds to the `models` command. */
export const MODELS_ADD_OPTIONS = {
  role: { type: "string", valueName: "ROLE", description: "add: detail, fidelity or face-restore." },
  name: { type: "string", valueName: "NAME", description: "add: the name presets use after user: (default: the file's name)." },
  licence: { type: "string", valueName: "TEXT", description: "add: the weights' licence and origin, recorded with the model." },
  studio: { type: "boolean", description: "add, measure: the studio's model folder instead of the user's." },
  replace: { type: "boolean", description: "add: replace a model of the same name." },
  "no-measure": { type: "boolean", description: "add: record it without measuring it (CI, busy servers); it uses x4plus's figures until `models measure NAME`." },
} as const;

/** Runs `models add FILE`. */
export async function addModel(context: CliContext, file: string): Promise<number> {
  const role = context.values.role;
  if (!USER_MODEL_ROLES.includes(role as UserModelRole)) throw invalidParameter(USER_MODEL_ROLES.join(", "), "--role", role);
  const path = resolve(context.cwd, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new PortraitError("INVALID_OPTION", `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, { path });
  }
  const name = typeof context.values.name === "string" ? context.values.name : defaultName(path);
  const folder = await modelFolderOf(context);
  const probed = await probeUserModel(path, bytes, role as UserModelRole);
  const added = await addUserModel({
    folder,
    name,
    path,
    bytes,
    probed,
    licence: typeof context.values.licence === "string" ? context.values.licence : "",
    replace: context.values.replace === true,
  });
  const { record, measured } = context.values["no-measure"] === true ? { record: added, measured: undefined } : await measureAdded(context, folder, added);
  if (context.values.json) {
    writeJson(context, { ok: true, folder, model: record });
  } else {
    const scale = record.role === "face-restore" ? "aligned 512×512 face" : `×${record.nativeScale}`;
    context.stdout.write(
      `Added ${USER_MODEL_PREFIX}${record.name} (${record.role}, ${scale}, opset ${record.opset}, values ${record.range.join("..")}) to ${folder}\nsha256 ${record.sha256}\n`,
    );
    if (measured) context.stdout.write(describeMeasurement(record, measured));
  }
  return EXIT_CODES.ok;
}

function defaultName(path: string): string {
  return basename(path, extname(path))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
}

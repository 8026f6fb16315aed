import type { CliCommand } from "../command";

export const modelsCommand: CliCommand = {
  name: "models",
  summary: "List the models, or verify (and repair) the converted model files.",
  usage: ["models list [--json]", "models verify [--deep] [--repair] [--json]"],
  allowPositionals: true,
  options: { json: { type: "boolean", description: "Print one JSON object instead of text." } },
  async run() {
    throw new Error("models is not implemented yet");
  },
};

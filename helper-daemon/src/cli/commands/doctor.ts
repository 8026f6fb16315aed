import type { CliCommand } from "../command";

export const doctorCommand: CliCommand = {
  name: "doctor",
  summary: "Check this machine: platform, runtime versions, execution providers, models.",
  usage: ["doctor [--json]"],
  options: { json: { type: "boolean", description: "Print one JSON object instead of text." } },
  async run() {
    throw new Error("doctor is not implemented yet");
  },
};

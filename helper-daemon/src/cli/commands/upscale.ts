import type { CliCommand } from "../command";

export const upscaleCommand: CliCommand = {
  name: "upscale",
  summary: "Upscale one image file.",
  usage: ["upscale INPUT -o OUTPUT [options]"],
  allowPositionals: true,
  options: { json: { type: "boolean", description: "Print one JSON object instead of text." } },
  async run() {
    throw new Error("upscale is not implemented yet");
  },
};

/** `portrait-upscale token`: prints the daemon's token (creating it on first use). */
import { ensureToken } from "../../config/token";
import { configDir, configFiles } from "../../config/paths";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";

export const tokenCommand: CliCommand = {
  name: "token",
  summary: "Print the token clients use to reach the daemon (keep it private).",
  usage: ["token [--path]"],
  options: { path: { type: "boolean", description: "Print the token file's path instead." } },
  async run(context) {
    const dir = configDir(context.env);
    if (context.values.path === true) {
      context.stdout.write(`${configFiles(dir).token}\n`);
      return EXIT_CODES.ok;
    }
    context.stdout.write(`${await ensureToken(dir)}\n`);
    return EXIT_CODES.ok;
  },
};

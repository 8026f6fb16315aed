/**
 * Every sub-command, in the order the help lists them. To add one, create
 * `commands/<name>.ts` exporting a {@link CliCommand} and add it here (one import, one entry).
 */
import type { CliCommand } from "../command";
import { upscaleCommand } from "./upscale";
import { doctorCommand } from "./doctor";
import { modelsCommand } from "./models";
import { presetsCommand } from "./presets";
import { installGimpCommand, uninstallGimpCommand } from "./install-gimp";
import { serveCommand } from "./serve";
import { tokenCommand } from "./token";
import { pairCommand } from "./pair";
import { facesCommand } from "./faces";
import { installCommand, startCommand, stopCommand, uninstallCommand } from "./desktop";
import { batchCommand } from "./batch";
import { workerCommand } from "./worker";
import { tokensCommand } from "./tokens";
import { calibrateCommand } from "./calibrate";

export const COMMANDS: readonly CliCommand[] = [
  upscaleCommand,
  batchCommand,
  workerCommand,
  doctorCommand,
  modelsCommand,
  presetsCommand,
  installGimpCommand,
  uninstallGimpCommand,
  serveCommand,
  tokenCommand,
  tokensCommand,
  pairCommand,
  facesCommand,
  startCommand,
  stopCommand,
  installCommand,
  uninstallCommand,
  calibrateCommand,
];

/** The command with that name, or undefined. */
export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** Help text for the program and for each command, generated from the command objects. */
import type { CliCommand, CliOption } from "./command";
import { EXIT_CODE_HELP } from "./exit-codes";

export const PROGRAM = "portrait-upscale";

function optionLabel(name: string, option: CliOption): string {
  const short = option.short ? `-${option.short}, ` : "    ";
  const value = option.type === "string" ? ` ${option.valueName ?? "VALUE"}` : "";
  return `${short}--${name}${value}`;
}

/** The help of one command: usage, options (plus --help), details. */
export function commandHelp(command: CliCommand): string {
  const lines = [`${command.summary}`, "", "Usage:"];
  for (const usage of command.usage) lines.push(`  ${PROGRAM} ${usage}`);
  const entries: [string, CliOption][] = [
    ...Object.entries(command.options),
    ["help", { type: "boolean", short: "h", description: "Show this help." }],
  ];
  const labels = entries.map(([name, option]) => optionLabel(name, option));
  const width = Math.max(...labels.map((label) => label.length)) + 2;
  lines.push("", "Options:");
  entries.forEach(([, option], index) => {
    const fallback = option.default !== undefined ? ` (default: ${String(option.default)})` : "";
    lines.push(`  ${labels[index].padEnd(width)}${option.description}${fallback}`);
  });
  if (command.details) lines.push("", command.details);
  return lines.join("\n") + "\n";
}

/** The top-level help: every command with its summary, and the exit codes. */
export function programHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  const lines = [
    "Local, private AI upscaling of portraits.",
    "",
    "Usage:",
    `  ${PROGRAM} COMMAND [options]`,
    `  ${PROGRAM} COMMAND --help`,
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    "",
    "Global options:",
    "  -h, --help     Show help.",
    "  -v, --version  Print the version.",
    "",
    EXIT_CODE_HELP,
  ];
  return lines.join("\n") + "\n";
}

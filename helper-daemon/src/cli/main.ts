/**
 * The dispatcher: picks the command, parses its options, runs it, and turns failures into
 * `portrait-upscale: CODE: message` and `advice: …` on stderr (plus a JSON error object on
 * stdout under `--json`) and a documented exit code.
 */
import { parseArgs } from "node:util";
import { PortraitError, invalidParameter, toErrorPayload } from "@portrait-upscale/shared";
import type { CliCommand, CliContext } from "./command";
import { COMMANDS, findCommand } from "./commands/index";
import { closestWord, errorLines } from "./error-text";
import { EXIT_CODES, exitCodeFor } from "./exit-codes";
import { PROGRAM, commandHelp, programHelp } from "./help";
import { VERSION } from "./version";

type Streams = Pick<CliContext, "stdout" | "stderr" | "signal" | "cwd" | "env">;

/** Runs the program with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], streams: Streams): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" && rest[0] ? findCommand(rest[0]) : undefined;
    streams.stdout.write(topic ? commandHelp(topic) : programHelp(COMMANDS));
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === "--version" || name === "-v") {
    streams.stdout.write(`${VERSION}\n`);
    return EXIT_CODES.ok;
  }
  const command = findCommand(name);
  const wantsJson = rest.includes("--json");
  if (!command) {
    const names = COMMANDS.map((c) => c.name);
    const error = invalidParameter(`one of ${names.join(", ")}`, "the command", name);
    const guess = closestWord(name, names);
    const hint = guess ? `Did you mean \`${PROGRAM} ${guess}\`?` : `Run \`${PROGRAM} --help\` for the list of commands.`;
    return report(error, streams, wantsJson, hint, guess !== undefined);
  }
  let context: CliContext;
  try {
    context = { ...streams, ...parseCommandArgs(command, rest) };
  } catch (error) {
    return report(error, streams, wantsJson, `Run \`${PROGRAM} ${command.name} --help\` for its options.`);
  }
  if (context.values.help === true) {
    streams.stdout.write(commandHelp(command));
    return EXIT_CODES.ok;
  }
  try {
    return await command.run(context);
  } catch (error) {
    return report(error, streams, context.values.json === true);
  }
}

function parseCommandArgs(command: CliCommand, args: readonly string[]): Pick<CliContext, "values" | "positionals"> {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean; default?: string | boolean }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [optionName, option] of Object.entries(command.options)) {
    options[optionName] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(error instanceof Error ? error.message : "");
    if (unknown) {
      const known = Object.keys(options).map((optionName) => `--${optionName}`);
      const guess = closestWord(unknown[1], known);
      const advice = guess ? `did you mean ${guess}?` : `see \`${PROGRAM} ${command.name} --help\``;
      throw new PortraitError("INVALID_OPTION", `Unknown option ${unknown[1]} for ${command.name}: ${advice}`, { command: command.name, option: unknown[1] });
    }
    // parseArgs' other messages (a missing value, a value for a flag) are clear; keep them, with our code.
    const message = error instanceof Error ? error.message : String(error);
    throw new PortraitError("INVALID_OPTION", message, { command: command.name });
  }
}

function report(error: unknown, streams: Streams, json: boolean, hint?: string, alwaysHint = false): number {
  const payload = toErrorPayload(error);
  streams.stderr.write(`${errorLines(payload).join("\n")}\n`);
  // A "did you mean" is always worth a line; a pointer to the help only at a terminal.
  if (hint && (alwaysHint || streams.stderr.isTTY)) streams.stderr.write(`${hint}\n`);
  if (payload.code === "INTERNAL" && error instanceof Error && error.stack && streams.env.PORTRAIT_UPSCALE_DEBUG) {
    streams.stderr.write(`${error.stack}\n`);
  }
  if (json) streams.stdout.write(`${JSON.stringify({ ok: false, error: payload })}\n`);
  return exitCodeFor(payload.code);
}

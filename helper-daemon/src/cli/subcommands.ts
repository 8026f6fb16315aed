/**
 * Commands made of sub-commands (`presets list`, `tokens create NAME`): the first positional
 * picks the sub-command, the rest are its arguments, checked for their count in one place so
 * every such command refuses a wrong call with the same words.
 */
import { invalidParameter } from "@portrait-upscale/shared";
import type { CliContext } from "./command";

/** One sub-command: what arguments it takes and what runs it. */
export interface Subcommand {
  /** Its arguments in words ("one preset id"): exactly one, or one or more. Absent: it takes none. */
  readonly arguments?: { readonly expected: string; readonly count: "one" | "some" };
  readonly run: (context: CliContext, args: readonly string[]) => Promise<number>;
}

/**
 * Runs the sub-command the first positional names with the rest as its arguments.
 * Throws INVALID_OPTION naming the valid sub-commands, or what the arguments should be.
 * @example return runSubcommand(context, "presets", { list: { run: list }, show: { arguments: { expected: "one preset id", count: "one" }, run: show } });
 */
export function runSubcommand(context: CliContext, command: string, subcommands: Readonly<Record<string, Subcommand>>): Promise<number> {
  const [name, ...args] = context.positionals;
  const subcommand = name !== undefined && Object.prototype.hasOwnProperty.call(subcommands, name) ? subcommands[name] : undefined;
  if (subcommand === undefined) throw invalidParameter(inWords(Object.keys(subcommands)), `the ${command} sub-command`, name);
  const where = `${command} ${name}`;
  const expected = subcommand.arguments;
  if (expected === undefined && args.length > 0) throw invalidParameter("no further arguments", where, args.join(" "));
  if (expected !== undefined && (args.length === 0 || (expected.count === "one" && args.length > 1))) {
    throw invalidParameter(expected.expected, where, args.length === 0 ? undefined : args.join(" "));
  }
  return subcommand.run(context, args);
}

/** "a, b or c". */
function inWords(names: readonly string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

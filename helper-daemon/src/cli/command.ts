/**
 * The shape every `portrait-upscale` sub-command has. A command is a plain object registered
 * in `commands/index.ts`; the dispatcher in `../cli.ts` parses its options with `node:util`
 * `parseArgs`, prints its help, and maps thrown errors to exit codes.
 */
import type { Writable } from "node:stream";

/** One option, in the form `parseArgs` accepts plus what the help text needs. */
export interface CliOption {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** One line for the help text. */
  readonly description: string;
  /** Shown in the help as `--name VALUE`. */
  readonly valueName?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean;
}

/** What a command receives: parsed options, positionals, and the process around it. */
export interface CliContext {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Aborted on SIGINT/SIGTERM; long-running commands pass it down. */
  readonly signal: AbortSignal;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** The word after `portrait-upscale`. */
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** Usage lines without the program name, e.g. `upscale INPUT -o OUTPUT [options]`. */
  readonly usage: readonly string[];
  /** Extra help text shown after the options. */
  readonly details?: string;
  readonly options: Readonly<Record<string, CliOption>>;
  /** Whether positional arguments are accepted (most commands take a file or a sub-command). */
  readonly allowPositionals?: boolean;
  /** Runs the command; resolves to the process exit code. Throw a PortraitError to fail with its code. */
  run(context: CliContext): Promise<number>;
}

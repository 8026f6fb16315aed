import { describe, expect, it } from "vitest";
import type { CliContext } from "./command";
import { runSubcommand, type Subcommand } from "./subcommands";

const ran: string[][] = [];
const record = (name: string): Subcommand["run"] => async (_, args) => (ran.push([name, ...args]), 0);
const table: Record<string, Subcommand> = {
  list: { run: record("list") },
  show: { arguments: { expected: "one preset id", count: "one" }, run: record("show") },
  validate: { arguments: { expected: "at least one preset file", count: "some" }, run: record("validate") },
};
const call = (...positionals: string[]) => runSubcommand({ positionals } as unknown as CliContext, "presets", table);

describe("runSubcommand", () => {
  it.each([
    [["list"], ["list"]],
    [["show", "natural"], ["show", "natural"]],
    [["validate", "a.json", "b.json"], ["validate", "a.json", "b.json"]],
  ])("%j runs with its arguments", async (positionals, expected) => {
    ran.length = 0;
    expect(await call(...positionals)).toBe(0);
    expect(ran).toEqual([expected]);
  });

  it.each([
    [[], "Expected list, show or validate for the presets sub-command but received undefined"],
    [["delete"], 'Expected list, show or validate for the presets sub-command but received "delete" of type string'],
    [["list", "x"], 'Expected no further arguments for presets list but received "x" of type string'],
    [["show"], "Expected one preset id for presets show but received undefined"],
    [["show", "a", "b"], 'Expected one preset id for presets show but received "a b" of type string'],
    [["validate"], "Expected at least one preset file for presets validate but received undefined"],
  ])("refuses %j", (positionals, message) => {
    expect(() => call(...positionals)).toThrow(expect.objectContaining({ code: "INVALID_OPTION", message }));
  });
});

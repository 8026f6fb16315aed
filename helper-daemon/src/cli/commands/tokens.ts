/**
 * `portrait-upscale tokens create NAME | list | revoke NAME`: named per-client tokens for a
 * daemon shared on a studio LAN. A token is printed once, at creation; only its hash is kept.
 */
import { createClientToken, readClientTokens, revokeClientToken } from "../../clients/client-tokens";
import { configDir } from "../../config/paths";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { formatTable, writeJson } from "../output";
import { runSubcommand } from "../subcommands";

export const tokensCommand: CliCommand = {
  name: "tokens",
  summary: "Manage named per-client tokens (one per desk; revocable alone).",
  usage: ["tokens create NAME", "tokens list [--json]", "tokens revoke NAME"],
  details: [
    "Each client (a retoucher's panel, a GIMP desk, a script) gets its own token and sees only the",
    "jobs it created. The token is printed once; the daemon stores only its SHA-256 hash",
    "(client-tokens.json in the config folder). A revoked token is refused (AUTH_INVALID) from the",
    "next request on, without restarting the daemon. The machine's own token (`portrait-upscale token`)",
    "keeps working.",
  ].join("\n"),
  allowPositionals: true,
  options: { json: { type: "boolean", description: "list: print JSON." } },
  run(context) {
    const dir = configDir(context.env);
    const clientName = { expected: "a client NAME", count: "one" } as const;
    return runSubcommand(context, "tokens", {
      create: {
        arguments: clientName,
        async run(_, [name]) {
          const token = await createClientToken(dir, name);
          context.stdout.write(`${token}\n`);
          context.stderr.write(`Token for ${name}: shown once, give it to that client only (the daemon keeps only its hash).\n`);
          return EXIT_CODES.ok;
        },
      },
      list: {
        async run() {
          const clients = await readClientTokens(dir);
          if (context.values.json) writeJson(context, { clients: clients.map(({ name, createdAt, revokedAt }) => ({ name, createdAt, revokedAt: revokedAt ?? null })) });
          else {
            const rows = clients.map((client) => [client.name, client.createdAt, client.revokedAt ? `revoked ${client.revokedAt}` : "active"]);
            context.stdout.write(formatTable([["NAME", "CREATED", "STATE"], ...rows]));
          }
          return EXIT_CODES.ok;
        },
      },
      revoke: {
        arguments: clientName,
        async run(_, [name]) {
          await revokeClientToken(dir, name);
          context.stderr.write(`Revoked ${name}'s token.\n`);
          return EXIT_CODES.ok;
        },
      },
    });
  },
};

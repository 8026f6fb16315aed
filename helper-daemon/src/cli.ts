/**
 * Entry point of the `portrait-upscale` command line (bundled to dist/cli.js).
 * Owns the process: signals, exit code. Everything else lives in ./cli/.
 */
import { runCli } from "./cli/main";

const controller = new AbortController();
let interrupted = 0;
function onSignal(): void {
  interrupted += 1;
  // A second Ctrl-C means "now": skip the cleanup the first one started.
  if (interrupted > 1) process.exit(130);
  controller.abort();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  cwd: process.cwd(),
  env: process.env,
});
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
// Exit once stdout has drained (a pipe may still hold the --json object); worker threads
// and other handles must not keep a finished command alive.
process.exitCode = code;
process.stdout.write("", () => process.exit(code));

/**
 * Entry point of the `portrait-upscale` command line (bundled to dist/cli.js).
 * Owns the process: signals, exit code. Everything else lives in ./cli/.
 */
import { runCli } from "./cli/main";
import { keepOnnxruntimePrivate } from "./inference/telemetry";
import { isSupervised, onSupervisorStop, superviseServe } from "./server/supervisor";

// Before anything can create a model session (see inference/telemetry).
keepOnnxruntimePrivate();

const argv = process.argv.slice(2);
// The daemon runs in a child process so that a stop never waits for a model run (see
// server/supervisor); this process only watches it and reports its exit code.
if (argv[0] === "serve" && !isSupervised()) process.exit(await superviseServe(argv));

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
// A supervised daemon is stopped by its parent (which got the Ctrl-C or SIGTERM).
onSupervisorStop(() => controller.abort());

const code = await runCli(argv, {
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

import { Writable } from "node:stream";
import { runCli } from "../../src/cli/main";

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join("") });
}

/** Runs the command line in this process and returns its exit code and what it printed. */
export async function runCliCaptured(
  argv: readonly string[],
  context: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr, signal: new AbortController().signal, ...context });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

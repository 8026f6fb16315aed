/**
 * The e2e tests' daemons are child processes (`portrait-upscale serve`, the Python stand-in):
 * waiting for the line that says one is ready, and stopping one.
 */
import type { ChildProcess } from "node:child_process";

/**
 * Resolves to the first match of `pattern` in the child's standard output. Rejects, with all
 * it printed, if the child exits first or after `timeoutMs`.
 *
 * @example const [, port] = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/, "portrait-upscale serve");
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time:\n${seen}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${seen}`));
    });
  });
}

/** SIGTERM (a clean stop), then SIGKILL if the child has not exited after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

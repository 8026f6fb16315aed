/**
 * `serve` runs in a child process watched by a thin parent, so that stopping is prompt.
 *
 * Why: onnxruntime-node 1.30 runs `session.run` synchronously on the inference worker's thread,
 * in native code. Nothing can interrupt it: `worker.terminate()` waits for the run to return and
 * then aborts the whole process ("terminate called after throwing an instance of
 * 'Napi::Error'": the binding cannot hand its result to a terminating thread), and
 * `process.exit()` joins worker threads first, so it waits for the run and then aborts the
 * same way. An x4plus tile can take a minute on a laptop CPU. A process, unlike a thread, can
 * be killed at once, so the parent asks the child to stop; the child cancels its jobs, closes
 * its connections, removes its temporary files and says so; the parent then kills it (the
 * tile in flight dies with it) and exits 0. Requests go to the child directly: the parent
 * only watches, so the split costs nothing per job.
 */
import { fork } from "node:child_process";

/** Set in the child's environment: it is the daemon itself, not the watching parent. */
export const SUPERVISED_ENV = "PORTRAIT_UPSCALE_SUPERVISED";

/** Parent → child. */
interface StopMessage {
  readonly type: "stop";
}
/** Child → parent: "ready" once it listens for `stop`; "cleaned" once jobs are cancelled, connections closed, temporary files removed. */
interface ChildMessage {
  readonly type: "ready" | "cleaned";
}

/** True in the daemon process that a supervising parent started. */
export function isSupervised(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SUPERVISED_ENV] === "1" && typeof process.send === "function";
}

/** Options for {@link superviseServe}. */
export interface SuperviseOptions {
  /** The command-line script to run as the child (this process's own script by default). */
  readonly script?: string;
  readonly stderr?: NodeJS.WritableStream;
}

/**
 * Runs `portrait-upscale serve …` (argv as given, starting with "serve") in a child process and
 * resolves with the exit code this process should use: 0 after a clean stop, 130 after a
 * second Ctrl-C (the child is killed without cleaning up), the child's own code when it exits
 * by itself (e.g. a port in use).
 * @example process.exit(await superviseServe(process.argv.slice(2)));
 */
export async function superviseServe(argv: readonly string[], options: SuperviseOptions = {}): Promise<number> {
  const script = options.script ?? process.argv[1];
  const stderr = options.stderr ?? process.stderr;
  const child = fork(script, [...argv], {
    env: { ...process.env, [SUPERVISED_ENV]: "1" },
    stdio: ["inherit", "inherit", "inherit", "ipc"],
  });
  let ready = false;
  let cleaned = false;
  let forced = false;
  let signals = 0;
  const stop = (): void => {
    if (child.connected) child.send({ type: "stop" } satisfies StopMessage, () => undefined);
  };
  const onSignal = (): void => {
    signals += 1;
    // A second Ctrl-C means "now", as in every other command.
    if (signals > 1) {
      forced = true;
      child.kill("SIGKILL");
      return;
    }
    // A message sent before the child listens would be lost; "ready" sends it then.
    if (ready) stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  child.on("message", (message: unknown) => {
    const type = (message as Partial<ChildMessage> | null)?.type;
    if (type === "ready") {
      ready = true;
      if (signals > 0) stop();
    } else if (type === "cleaned") {
      cleaned = true;
      // Everything worth keeping is done; what is left is a model run nobody waits for.
      child.kill("SIGKILL");
    }
  });
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    if (forced) return 130;
    if (cleaned) return 0;
    if (code !== null) return code;
    stderr.write(`portrait-upscale: INTERNAL: the daemon process stopped on ${signal ?? "an unknown signal"}.\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * In a supervised daemon: calls `stop` when the parent asks (a Ctrl-C or SIGTERM it received)
 * or when the parent is gone (nobody would stop this process otherwise). Does nothing
 * unsupervised.
 */
export function onSupervisorStop(stop: () => void): void {
  if (!isSupervised()) return;
  process.on("message", (message: unknown) => {
    if ((message as Partial<StopMessage> | null)?.type === "stop") stop();
  });
  process.on("disconnect", stop);
  process.send!({ type: "ready" } satisfies ChildMessage);
}

/**
 * In a supervised daemon, once jobs are cancelled and temporary files removed: tells the
 * parent, which then ends this process. An orphaned daemon (its parent was killed) ends
 * itself the same way. Resolves unsupervised (the caller then closes the pool normally).
 */
export async function reportCleanedUp(): Promise<void> {
  if (!isSupervised()) return;
  if (!process.connected) {
    process.kill(process.pid, "SIGKILL");
    return;
  }
  await new Promise<void>((resolve) => process.send!({ type: "cleaned" } satisfies ChildMessage, undefined, {}, () => resolve()));
}

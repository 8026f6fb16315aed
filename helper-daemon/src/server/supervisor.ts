/**
 * `serve` runs in a child process watched by a thin parent, so that stopping is prompt and a
 * daemon that dies is brought back.
 *
 * Why a child: onnxruntime-node 1.30 runs `session.run` synchronously on the inference worker's
 * thread, in native code. Nothing can interrupt it: `worker.terminate()` waits for the run to
 * return and then aborts the whole process ("terminate called after throwing an instance of
 * 'Napi::Error'": the binding cannot hand its result to a terminating thread), and
 * `process.exit()` joins worker threads first, so it waits for the run and then aborts the
 * same way. An x4plus tile can take a minute on a laptop CPU. A process, unlike a thread, can
 * be killed at once, so the parent asks the child to stop; the child cancels its jobs, closes
 * its connections, removes its temporary files and says so; the parent then kills it (the
 * tile in flight dies with it) and exits 0. Requests go to the child directly: the parent
 * only watches, so the split costs nothing per job.
 *
 * If the child dies by itself once it has been listening (a crash in native code, the
 * out-of-memory killer), the parent says why, removes the child's temporary folder, and starts
 * a new child on the same port that reports the jobs that were running as failed with
 * DAEMON_RESTARTED. A child that keeps dying is given up after a few tries.
 */
import { fork, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { PortraitError } from "@portrait-upscale/shared";

/** Set in the child's environment: it is the daemon itself, not the watching parent. */
export const SUPERVISED_ENV = "PORTRAIT_UPSCALE_SUPERVISED";
/** Set in a restarted child's environment: the jobs its predecessor lost, and why (JSON). */
export const LOST_JOBS_ENV = "PORTRAIT_UPSCALE_LOST_JOBS";

/** Restarts allowed within {@link RESTART_WINDOW_MS} before the parent gives up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 5 * 60_000;

/** Parent → child. */
interface StopMessage {
  readonly type: "stop";
}
/**
 * Child → parent: "ready" once it listens for `stop`; "started" once it listens on its port;
 * "jobs" whenever its running or queued jobs change; "cleaned" once jobs are cancelled,
 * connections closed, temporary files removed.
 */
type ChildMessage =
  | { readonly type: "ready" | "cleaned" }
  | { readonly type: "started"; readonly tempDir: string; readonly port: number }
  | { readonly type: "jobs"; readonly active: readonly string[] };

/** What a restarted daemon learns about its predecessor. */
export interface LostJobs {
  readonly ids: readonly string[];
  /** Why the previous daemon process stopped, in words for the log and the job's error. */
  readonly reason: string;
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

/** How one child ended. */
interface ChildEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly cleaned: boolean;
  /** Set once the child listened: its temporary folder and port. */
  readonly started: { tempDir: string; port: number } | undefined;
  readonly active: readonly string[];
}

/**
 * Runs `portrait-upscale serve …` (argv as given, starting with "serve") in a child process and
 * resolves with the exit code this process should use: 0 after a clean stop, 130 after a
 * second Ctrl-C (the child is killed without cleaning up), the child's own code when it exits
 * by itself before listening (e.g. a port in use), 1 when it keeps dying.
 * @example process.exit(await superviseServe(process.argv.slice(2)));
 */
export async function superviseServe(argv: readonly string[], options: SuperviseOptions = {}): Promise<number> {
  const script = options.script ?? process.argv[1];
  const stderr = options.stderr ?? process.stderr;
  let child: ChildProcess | undefined;
  let ready = false;
  let forced = false;
  let signals = 0;
  const stop = (): void => {
    if (child?.connected) child.send({ type: "stop" } satisfies StopMessage, () => undefined);
  };
  const onSignal = (): void => {
    signals += 1;
    // A second Ctrl-C means "now", as in every other command.
    if (signals > 1) {
      forced = true;
      child?.kill("SIGKILL");
      return;
    }
    // A message sent before the child listens would be lost; "ready" sends it then.
    if (ready) stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const orphanWatch = watchForOrphaning(onSignal);
  const restarts: number[] = [];
  let childArgv = [...argv];
  let lost: LostJobs | undefined;
  try {
    for (;;) {
      ready = false;
      const env: NodeJS.ProcessEnv = { ...process.env, [SUPERVISED_ENV]: "1" };
      if (lost) env[LOST_JOBS_ENV] = JSON.stringify(lost);
      else delete env[LOST_JOBS_ENV];
      child = fork(script, childArgv, { env, stdio: ["inherit", "inherit", "inherit", "ipc"] });
      const end = await watchChild(child, () => {
        ready = true;
        if (signals > 0) stop();
      });
      if (forced) return 130;
      if (end.cleaned) return 0;
      if (signals > 0 || end.started === undefined) {
        if (end.code !== null) return end.code;
        stderr.write(`portrait-upscale: INTERNAL: the daemon process stopped on ${end.signal ?? "an unknown signal"}.\n`);
        return 1;
      }
      const reason = end.signal !== null ? `the daemon process was stopped by ${end.signal}` : `the daemon process exited with code ${end.code}`;
      rmSync(end.started.tempDir, { recursive: true, force: true });
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
      const jobs = end.active.length === 1 ? "1 running job" : `${end.active.length} running jobs`;
      if (restarts.length > MAX_RESTARTS) {
        stderr.write(`portrait-upscale: INTERNAL: ${reason}; it stopped ${restarts.length} times in ${RESTART_WINDOW_MS / 60_000} minutes, giving up.\n`);
        return 1;
      }
      stderr.write(`portrait-upscale: ${reason}; ${jobs} failed with DAEMON_RESTARTED, temporary files removed. Restarting on port ${end.started.port}.\n`);
      lost = { ids: end.active, reason };
      childArgv = [...argv, "--port", String(end.started.port)];
    }
  } finally {
    clearInterval(orphanWatch);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * Under `npm start` a shell sits between npm and this process, and npm passes its SIGTERM to
 * the shell only: the shell ends, this process is re-parented and would keep the port. So
 * under an npm script, losing the parent counts as being told to stop. (A launcher that
 * starts the daemon detached on purpose does not run it as an npm script.)
 */
function watchForOrphaning(stop: () => void, env: NodeJS.ProcessEnv = process.env): NodeJS.Timeout | undefined {
  if (env.npm_lifecycle_event === undefined) return undefined;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, 500).unref();
  return timer;
}

/** Follows one child until it exits, collecting what it reported. */
function watchChild(child: ChildProcess, onReady: () => void): Promise<ChildEnd> {
  let cleaned = false;
  let started: ChildEnd["started"];
  let active: readonly string[] = [];
  child.on("message", (message: unknown) => {
    const parsed = message as Partial<{ type: string; tempDir: unknown; port: unknown; active: unknown }> | null;
    if (parsed?.type === "ready") onReady();
    else if (parsed?.type === "started" && typeof parsed.tempDir === "string" && typeof parsed.port === "number") {
      started = { tempDir: parsed.tempDir, port: parsed.port };
    } else if (parsed?.type === "jobs" && Array.isArray(parsed.active)) active = parsed.active.filter((id): id is string => typeof id === "string");
    else if (parsed?.type === "cleaned") {
      cleaned = true;
      // Everything worth keeping is done; what is left is a model run nobody waits for.
      child.kill("SIGKILL");
    }
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve({ code, signal, cleaned, started, active }));
  });
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
  tellParent({ type: "ready" });
}

/** In a supervised daemon, once it listens: its temporary folder (removed by the parent if this process dies) and port (kept on restart). */
export function reportStarted(tempDir: string, port: number): void {
  tellParent({ type: "started", tempDir, port });
}

/** In a supervised daemon: the jobs that would be lost if this process died now. */
export function reportActiveJobs(ids: readonly string[]): void {
  tellParent({ type: "jobs", active: [...ids] });
}

/** The jobs a dead predecessor was running (restarted daemons only), with the error to report for them. */
export function lostJobsFromEnv(env: NodeJS.ProcessEnv = process.env): { ids: readonly string[]; error: PortraitError } | undefined {
  const text = env[LOST_JOBS_ENV];
  if (!text) return undefined;
  try {
    const lost = JSON.parse(text) as LostJobs;
    const ids = Array.isArray(lost.ids) ? lost.ids.filter((id) => typeof id === "string" && /^j_[A-Za-z0-9_-]{1,64}$/.test(id)) : [];
    const reason = typeof lost.reason === "string" ? lost.reason : "the daemon process stopped";
    return { ids, error: new PortraitError("DAEMON_RESTARTED", `The job was lost: ${reason}. Start it again.`, { reason }) };
  } catch {
    return undefined;
  }
}

function tellParent(message: ChildMessage): void {
  if (isSupervised() && process.connected) process.send!(message, undefined, {}, () => undefined);
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

/**
 * onnxruntime-node 1.30 ships Microsoft's 1DS telemetry on Linux and macOS too: without this,
 * every process that runs a model leaves `mat-debug-<pid>.log` and `.ses` in the temporary
 * folder and creates `~/.cache/Microsoft/DeveloperTools/.onnxruntime/` with a device id and a
 * database of queued events naming our model files. `ORT_DISABLE_TELEMETRY=1` turns all of it
 * off (no uploader, events, device id or cache), but only when it is in the process
 * environment before onnxruntime creates its environment, which it does at the first session.
 * Worker threads read the same native environment, so setting it once in the main thread, at
 * start, covers them; a worker's own `process.env` is a copy and would not.
 */

/** The environment variables that keep onnxruntime from recording or sending anything. */
export const ONNXRUNTIME_PRIVACY_ENV: Readonly<Record<string, string>> = { ORT_DISABLE_TELEMETRY: "1" };

/** Sets {@link ONNXRUNTIME_PRIVACY_ENV} in this process; call before the first model session. */
export function keepOnnxruntimePrivate(env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, ONNXRUNTIME_PRIVACY_ENV);
}

/**
 * The inference worker's entry (bundled to dist/inference/worker.js). It owns warm
 * onnxruntime sessions; `session.run` blocks its thread, not the daemon's event loop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PortraitError, toErrorPayload } from "@portrait-upscale/shared";
import type { FromWorker, ToWorker, WorkerSettings } from "./messages";
import { onnxruntimeSessionFactory } from "./ort-session";
import { SessionHost } from "./session-host";

if (!parentPort) throw new Error("The inference worker must run in a worker thread.");
const port = parentPort;
const host = new SessionHost(onnxruntimeSessionFactory(workerData as WorkerSettings));

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on("message", async (message: ToWorker) => {
  if (message.type === "release") {
    const sessions = host.warmSessions;
    await host.dispose();
    send({ type: "released", sessions });
    return;
  }
  if (message.type === "dispose") {
    await host.dispose();
    send({ type: "disposed" });
    return;
  }
  try {
    const result = await host.run(message);
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([name, tensor]) => [name, { data: ownedCopy(tensor.data), dims: tensor.dims }]),
    );
    const transfer = Object.values(outputs).map((tensor) => tensor.data.buffer as ArrayBuffer);
    send({ type: "result", id: message.id, result: { ...result, outputs } }, transfer);
  } catch (error) {
    // Anything not already coded is a model failure from the caller's point of view.
    const payload =
      error instanceof PortraitError
        ? toErrorPayload(error)
        : { code: "INFERENCE_FAILED" as const, message: `The model failed to run: ${error instanceof Error ? error.message : String(error)}` };
    send({ type: "error", id: message.id, error: payload });
  }
});

/** The array itself when it owns its whole buffer (so it can be transferred), else a copy. */
function ownedCopy(data: Float32Array): Float32Array {
  const owns = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
  return owns ? data : data.slice();
}

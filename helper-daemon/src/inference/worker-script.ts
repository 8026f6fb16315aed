/** Where the bundled inference worker is, and how tensors travel to it without copies. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PortraitError } from "@portrait-upscale/shared";
import type { Feeds, TensorData } from "./session-host";

const WORKER_CANDIDATES = [
  // Running from a bundle in helper-daemon/dist/ (cli.js, bench.js, …).
  "./inference/worker.js",
  // Running from a bundle that sits next to the worker.
  "./worker.js",
  // Running from the sources (vitest): the built bundle.
  "../../dist/inference/worker.js",
];

/** Where the bundled worker script is; throws INTERNAL (with the fix) when it is not built. */
export function findWorkerScript(): string {
  for (const candidate of WORKER_CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (path.endsWith(`inference${pathSeparator()}worker.js`) && existsSync(path)) return path;
  }
  throw new PortraitError("INTERNAL", "The inference worker is not built: run `npm run build` at the repository root.");
}

function pathSeparator(): string {
  return process.platform === "win32" ? "\\" : "/";
}

/** Feeds whose buffers can be transferred: views on part of a buffer are copied first. */
export function transferable(feeds: Feeds): { feeds: Feeds; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const own = (tensor: TensorData): TensorData => {
    const whole = tensor.data.byteOffset === 0 && tensor.data.byteLength === tensor.data.buffer.byteLength;
    const data = whole && tensor.data.buffer instanceof ArrayBuffer ? tensor.data : tensor.data.slice();
    if (!transfer.includes(data.buffer as ArrayBuffer)) transfer.push(data.buffer as ArrayBuffer);
    return { data, dims: [...tensor.dims] };
  };
  if (Array.isArray(feeds)) return { feeds: (feeds as readonly TensorData[]).map(own), transfer };
  const named = feeds as Readonly<Record<string, TensorData>>;
  return { feeds: Object.fromEntries(Object.entries(named).map(([name, tensor]) => [name, own(tensor)])), transfer };
}

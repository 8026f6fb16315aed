// Writing a model file so that no reader ever sees part of one: a temporary beside it, made
// durable, then renamed. Not write-file-atomic: the temporary's name must carry the writer's
// process id, which the installer's clean-up reads (TEMPORARY_NAME).
import { join } from "node:path";
import { openPendingFile } from "./pending-file";

/** Names of model, stage, variant and stamp temporaries: `.<file>.<pid>[.r<random hex>].tmp`; group 1 is the writer's process id. */
export const TEMPORARY_NAME = /^\..+\.(\d+)(?:\.r[0-9a-f]+)?\.tmp$/;

/**
 * Writes `bytes` to `dir/file` through a temporary that is flushed to disk before the
 * rename, so a crash leaves either the old file or the whole new one.
 *
 * @example await writeModelFile(modelDir(), "realesrgan-x4plus.fp16.onnx", bytes);
 */
export async function writeModelFile(dir: string, file: string, bytes: Uint8Array): Promise<void> {
  // The random part keeps two writers in one process (a daemon repairing twice) apart.
  const temporary = join(dir, `.${file}.${process.pid}.r${Math.random().toString(16).slice(2, 10)}.tmp`);
  const pending = await openPendingFile(join(dir, file), temporary, { durable: true });
  try {
    await pending.commit(bytes);
  } finally {
    await pending.discard();
  }
}

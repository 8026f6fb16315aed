/** Reading the image file a user names, with a failure said in words (INPUT_UNREADABLE). */
import { readFile } from "node:fs/promises";
import { PortraitError } from "@portrait-upscale/shared";

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  ENOTDIR: "a folder on its path is a file",
  EISDIR: "it is a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
};

/** The bytes of the input file at `path`; throws INPUT_UNREADABLE naming the path and the reason. */
export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? "unknown";
    const reason = REASONS[errno] ?? `cannot be read (${errno})`;
    throw new PortraitError("INPUT_UNREADABLE", `Cannot read the input file ${path}: ${reason}.`, { path, reason: errno });
  }
}

/** Bench inputs: the repository's portrait fixture, resized to the sizes a case needs. */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { modelPath } from "@portrait-upscale/models";
import { decodeImage } from "../image/codec";
import type { RgbImage } from "../image/image";
import { resampleImage } from "../image/resample";

const CANDIDATES = ["../../test/fixtures/astronaut.png", "../../../test/fixtures/astronaut.png"];

/** The 512² astronaut portrait (public domain), found from the bundle or the sources. */
async function astronaut(): Promise<RgbImage> {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return (await decodeImage(await readFile(path))).image;
  }
  throw new Error("test/fixtures/astronaut.png not found");
}

let cached: RgbImage | undefined;

/** The portrait at `size`×`size` (Lanczos-3 from 512²). */
export async function portrait(size: number): Promise<RgbImage> {
  cached ??= await astronaut();
  return size === cached.width ? cached : resampleImage(cached, { width: size, height: size, filter: size < cached.width ? "area" : "lanczos3" });
}

/** True when the model is converted. */
export function installed(id: string): boolean {
  return existsSync(modelPath(id));
}

/**
 * A batch's inputs: files, folders (recursive; the layout below the folder is kept under the
 * output folder) and glob patterns (the part before the first wildcard is the base whose
 * layout is kept). Each input gets its output path up front, so a rerun finds what is done.
 */
import { stat } from "node:fs/promises";
import { basename, extname, join, relative, resolve, sep } from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import { invalidParameter } from "@portrait-upscale/shared";
import type { EncodedFormat } from "../image/codec";

/** File extensions a batch picks up in folders and patterns. */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"] as const;

const EXTENSION_OF: Readonly<Record<EncodedFormat, string>> = { png: ".png", jpeg: ".jpg", tiff: ".tif", webp: ".webp" };

/** One image of a batch. */
export interface BatchItem {
  /** Absolute input path. */
  readonly input: string;
  /** Path under the output folder, with `/` separators (the report's key). */
  readonly relative: string;
  /** Absolute output path. */
  readonly output: string;
}

function isImagePath(path: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** The folder part of a pattern before its first wildcard segment. */
function patternBase(pattern: string): string {
  const segments = pattern.split("/");
  const fixed: string[] = [];
  for (const segment of segments) {
    if (isDynamicPattern(segment)) break;
    fixed.push(segment);
  }
  return fixed.length === segments.length ? fixed.slice(0, -1).join("/") : fixed.join("/");
}

/**
 * Expands `inputs` (relative to `cwd`) into batch items writing under `outDir`, sorted by
 * their relative path. `format` changes every output's extension; otherwise each keeps its
 * input's. Throws INVALID_OPTION for an input that does not exist or a pattern that matches
 * nothing, before any work starts.
 * @example await expandInputs(["shoot/", "extra/*.jpg"], "/work", "/out")
 */
export async function expandInputs(inputs: readonly string[], cwd: string, outDir: string, format?: EncodedFormat): Promise<BatchItem[]> {
  const found = new Map<string, string>();
  const outFolder = resolve(cwd, outDir);
  const add = (path: string, base: string): void => {
    const absolute = resolve(cwd, path);
    // Earlier results inside a scanned folder are not inputs of this batch.
    if (absolute.startsWith(outFolder + sep)) return;
    if (!found.has(absolute)) found.set(absolute, relative(resolve(cwd, base), absolute));
  };
  for (const input of inputs) {
    if (isDynamicPattern(input)) {
      const base = patternBase(input);
      const matches = (await glob(input, { cwd, onlyFiles: true, absolute: true })).filter(isImagePath);
      if (matches.length === 0) throw invalidParameter("a pattern that matches image files", "the input", input);
      for (const match of matches) add(match, base === "" ? "." : base);
      continue;
    }
    const info = await stat(resolve(cwd, input)).catch(() => undefined);
    if (!info) throw invalidParameter("an existing file, folder or pattern", "the input", input);
    if (info.isDirectory()) {
      const files = await glob("**/*", { cwd: resolve(cwd, input), onlyFiles: true, absolute: true, dot: false });
      for (const file of files.filter(isImagePath)) add(file, input);
    } else {
      add(input, join(input, ".."));
    }
  }
  const items = [...found].map(([input, rel]) => {
    const portable = rel.split(sep).join("/");
    const withExtension = format ? portable.slice(0, portable.length - extname(portable).length) + EXTENSION_OF[format] : portable;
    return { input, relative: withExtension, output: join(outFolder, ...withExtension.split("/")) };
  });
  const byOutput = new Map<string, BatchItem>();
  for (const item of items) {
    const clash = byOutput.get(item.output);
    if (clash) throw invalidParameter(`inputs with distinct output names (${basename(clash.input)} and ${basename(item.input)} both make ${item.relative})`, "the inputs", item.relative);
    byOutput.set(item.output, item);
  }
  return items.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/**
 * The upscale service for bytes and files, as thin wrappers of the one request path
 * (`runUpscaleRequest`): scripts and tests call these; front ends build a request.
 */
import { basename, extname } from "node:path";
import { PortraitError, invalidParameter } from "@portrait-upscale/shared";
import { DEFAULT_LIMITS, type EncodedFormat } from "../image/codec";
import type { InferencePool } from "../inference/index";
import { openOutput } from "./output-file";
import { upscaleRequest, type UpscaleRequest } from "./request";
import { runUpscaleRequest, type RequestResult, type RunRequestOptions } from "./run-request";
import type { UpscaleSettings } from "./settings";
import type { UpscaleBytesResult, UpscaleServiceOptions } from "./upscale-decoded";

/**
 * Decodes an image file's bytes, upscales, and encodes like the source (format, bit depth,
 * channels, ICC profile) unless `options.format` says otherwise.
 */
export async function upscaleBytes(
  bytes: Uint8Array,
  pool: InferencePool,
  settings: UpscaleSettings,
  options: UpscaleServiceOptions = {},
): Promise<UpscaleBytesResult> {
  const request = upscaleRequest({
    image: { kind: "encoded", bytes },
    settings,
    review: false,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.format !== undefined ? { format: options.format } : {}),
  });
  return runUpscaleRequest(request, pool, options);
}

const FORMAT_BY_EXTENSION: Record<string, EncodedFormat> = {
  ".png": "png",
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
  ".tif": "tiff",
  ".tiff": "tiff",
  ".webp": "webp",
};

/** The encoded format an output file name asks for; INVALID_OPTION for other extensions. */
export function formatForPath(path: string): EncodedFormat {
  const format = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (!format) throw invalidParameter("a file name ending in .png, .jpg, .jpeg, .tif, .tiff or .webp", "the output", basename(path));
  return format;
}

/**
 * Runs `request` and writes its result to `outputPath` (format from its extension unless the
 * request names one). The output is created under a temporary name first, so an unwritable
 * destination fails before any work, and a failure or cancellation leaves no file behind.
 * @example await upscaleToFile(request, "out.png", pool);
 */
export async function upscaleToFile(
  request: UpscaleRequest,
  outputPath: string,
  pool: InferencePool,
  options: RunRequestOptions = {},
): Promise<RequestResult & { readonly outputPath: string }> {
  const started = performance.now();
  const format = request.format ?? formatForPath(outputPath);
  const output = await openOutput(outputPath);
  try {
    const result = await runUpscaleRequest(request.format === format ? request : upscaleRequest({ ...request, format }), pool, options);
    // Encoding cannot be interrupted; a Ctrl-C during it still means "no file".
    if (options.signal?.aborted) throw new PortraitError("CANCELLED");
    await output.commit(result.bytes);
    const summary = { ...result.summary, timings: { ...result.summary.timings, totalMs: Math.round(performance.now() - started) } };
    return { ...result, summary, outputPath: output.path };
  } finally {
    await output.discard();
  }
}

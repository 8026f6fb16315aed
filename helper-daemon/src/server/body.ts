/**
 * Reading request bodies without trusting them: the declared length is checked before a
 * byte is read, the running total while streaming, raw pixels land directly in one buffer of
 * the size their header promised, and a body that stops arriving fails with UPLOAD_STALLED.
 */
import type { IncomingMessage } from "node:http";
import { PortraitError } from "@portrait-upscale/shared";
import type { UploadReservation } from "./limits";

/** How a body is read: `stallMs` without new bytes ends it; `reservation` grows with what arrives. */
export interface BodyOptions {
  readonly stallMs: number;
  readonly reservation?: UploadReservation;
}

/** Reads a body of at most `limit` bytes; MESSAGE_TOO_LARGE (413) as soon as it is known to be bigger. */
export async function readBody(request: IncomingMessage, limit: number, options: BodyOptions): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limit) throw tooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  await receive(request, options.stallMs, (chunk) => {
    total += chunk.length;
    if (total > limit) throw tooLarge(total, limit);
    // Without a declared length the reservation follows the bytes actually held.
    if (declared === undefined) options.reservation?.grow(chunk.length);
    chunks.push(chunk);
  });
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/**
 * Reads exactly `length` bytes into one new buffer (raw pixels); INPUT_TRUNCATED when the
 * body is shorter, MESSAGE_TOO_LARGE when it is longer.
 */
export async function readExactBody(request: IncomingMessage, length: number, options: BodyOptions): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > length) throw tooLarge(declared, length);
  if (declared !== undefined && declared < length) throw truncated(declared, length);
  const bytes = Buffer.allocUnsafe(length);
  let offset = 0;
  await receive(request, options.stallMs, (chunk) => {
    if (offset + chunk.length > length) throw tooLarge(offset + chunk.length, length);
    chunk.copy(bytes, offset);
    offset += chunk.length;
  });
  if (offset < length) throw truncated(offset, length);
  return bytes;
}

/**
 * Feeds each chunk of the body to `take` until the end. Settles exactly once: at the end, at
 * the first error `take` throws (the rest is left unread), when no byte arrived for `stallMs`,
 * or when the client goes away. The stall timer lives and dies with this one read.
 */
function receive(request: IncomingMessage, stallMs: number, take: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown): void => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("close", onClose);
      request.off("error", onClose);
      if (error === undefined) resolve();
      else {
        request.pause();
        reject(error);
      }
    };
    const timer = setTimeout(
      () => finish(new PortraitError("UPLOAD_STALLED", `No bytes of the request body arrived for ${Math.round(stallMs / 1000)} s.`, { stallSeconds: stallMs / 1000 })),
      stallMs,
    );
    const onData = (chunk: Buffer): void => {
      timer.refresh();
      try {
        take(chunk);
      } catch (error) {
        finish(error);
      }
    };
    const onEnd = (): void => finish();
    const onClose = (): void => finish(new PortraitError("INPUT_TRUNCATED", "The client went away before the request body was complete."));
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("close", onClose);
    request.on("error", onClose);
  });
}

/** The Content-Length header as a number, or undefined (chunked uploads). */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  if (header === undefined) return undefined;
  const value = Number(header);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function tooLarge(received: number, limit: number): PortraitError {
  return new PortraitError("MESSAGE_TOO_LARGE", `Expected at most ${limit} bytes for the request body but received ${received} or more`, {
    limit,
  });
}

function truncated(received: number, expected: number): PortraitError {
  return new PortraitError("INPUT_TRUNCATED", `Expected ${expected} bytes of pixels for the request body but received ${received}`, {
    expected,
    received,
  });
}

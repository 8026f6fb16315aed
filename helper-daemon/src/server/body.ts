/**
 * Reading request bodies without trusting them: the declared length is checked before a
 * byte is read, the running total while streaming, and raw pixels land directly in one
 * buffer of the size their header promised.
 */
import type { IncomingMessage } from "node:http";
import { PortraitError } from "@portrait-upscale/shared";

/** Reads a body of at most `limit` bytes; MESSAGE_TOO_LARGE (413) as soon as it is known to be bigger. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limit) throw tooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw tooLarge(total, limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/**
 * Reads exactly `length` bytes into one new buffer (raw pixels); INPUT_TRUNCATED when the
 * body is shorter, MESSAGE_TOO_LARGE when it is longer.
 */
export async function readExactBody(request: IncomingMessage, length: number): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > length) throw tooLarge(declared, length);
  if (declared !== undefined && declared < length) throw truncated(declared, length);
  const bytes = Buffer.allocUnsafe(length);
  let offset = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    if (offset + chunk.length > length) throw tooLarge(offset + chunk.length, length);
    chunk.copy(bytes, offset);
    offset += chunk.length;
  }
  if (offset < length) throw truncated(offset, length);
  return bytes;
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

/**
 * Fuzz support: a hostile case is bytes on one TCP connection, sent in pieces with pauses,
 * ended by a close, a reset or by waiting for the daemon. This module plays a case and reads
 * back what the daemon answered: HTTP responses, and after a 101 the WebSocket frames.
 */
import { connect } from "node:net";

/** One step of a case: bytes to send, or a pause (a slow sender). */
export type Step = { readonly send: Uint8Array } | { readonly pauseMs: number };

/** How the client ends: wait for the daemon, close its side cleanly, or reset (RST). */
export type Ending = "wait" | "close" | "reset";

export interface WireCase {
  /** What kind of case this is, for the report. */
  readonly kind: string;
  readonly steps: readonly Step[];
  readonly ending: Ending;
}

/** Every error code the daemon put in an answer, and answers it could not be checked against. */
export interface Observed {
  readonly codes: string[];
  /** Complete answers without a code where one was required (a description each). */
  readonly uncoded: string[];
  readonly statuses: number[];
}

/** Plays `wireCase` against 127.0.0.1:`port`; resolves with everything received, within `maxWaitMs` after the last step. */
export function play(port: number, wireCase: WireCase, maxWaitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const received: Buffer[] = [];
    let closed = false;
    let finished = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      if (!socket.destroyed) socket.destroy();
      resolve(Buffer.concat(received));
    };
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      // An answer has arrived: give the rest of it a moment, then stop waiting.
      if (idle) idle.refresh();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.once("connect", async () => {
      for (const step of wireCase.steps) {
        if (closed) break;
        if ("send" in step) socket.write(step.send);
        else await new Promise((done) => setTimeout(done, step.pauseMs));
      }
      if (closed) return;
      if (wireCase.ending === "reset") {
        socket.resetAndDestroy();
        finish();
        return;
      }
      if (wireCase.ending === "close") socket.end();
      idle = setTimeout(finish, Math.min(60, maxWaitMs));
      setTimeout(finish, maxWaitMs);
    });
  });
}

/** Reads the HTTP answers (and WebSocket frames after a 101) in `bytes`, collecting codes. */
export function readAnswers(bytes: Buffer): Observed {
  const observed: Observed = { codes: [], uncoded: [], statuses: [] };
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", offset);
    if (headEnd < 0) break;
    const head = bytes.subarray(offset, headEnd).toString("latin1");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    if (!Number.isInteger(status)) {
      observed.uncoded.push(`not an HTTP answer: ${JSON.stringify(head.slice(0, 40))}`);
      break;
    }
    observed.statuses.push(status);
    const bodyStart = headEnd + 4;
    if (status === 101) {
      readFrames(bytes.subarray(bodyStart), observed);
      break;
    }
    if (status === 100) {
      offset = bodyStart;
      continue;
    }
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) break; // a streamed answer (events): not an error answer
    if (bytes.subarray(bodyStart, bodyStart + 7).toString("latin1") === "HTTP/1.") {
      // The answer to a HEAD request: its length is announced, its body never sent.
      offset = bodyStart;
      continue;
    }
    const end = bodyStart + Number(length[1]);
    if (end > bytes.length) break; // cut off by the case's own reset or close
    if (status >= 400) noteErrorBody(bytes.subarray(bodyStart, end).toString("utf8"), `HTTP ${status}`, observed);
    offset = end;
  }
  return observed;
}

function noteErrorBody(text: string, what: string, observed: Observed): void {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    if (typeof code === "string") observed.codes.push(code);
    else observed.uncoded.push(`${what} without error.code: ${text.slice(0, 80)}`);
  } catch {
    observed.uncoded.push(`${what} with a body that is not JSON: ${text.slice(0, 80)}`);
  }
}

/** Server-to-client frames (never masked): error messages and close reasons carry codes. */
function readFrames(bytes: Buffer, observed: Observed): void {
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const opcode = bytes[offset] & 0x0f;
    let length = bytes[offset + 1] & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (start + 2 > bytes.length) return;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > bytes.length) return;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > bytes.length) return;
    const payload = bytes.subarray(start, start + length);
    if (opcode === 0x1) {
      const message = JSON.parse(payload.toString("utf8")) as { type?: string; code?: unknown };
      if (message.type === "error") {
        if (typeof message.code === "string") observed.codes.push(message.code);
        else observed.uncoded.push(`WebSocket error message without a code: ${payload.toString("utf8").slice(0, 80)}`);
      }
    } else if (opcode === 0x8 && payload.length > 2) {
      // Our own closes give the error code as the reason; the WebSocket library's give none,
      // or echo the client's own reason (which the generators never spell like a code).
      const reason = payload.subarray(2).toString("utf8");
      if (/^[A-Z][A-Z_]+$/.test(reason)) observed.codes.push(reason);
    }
    offset = start + length;
  }
}

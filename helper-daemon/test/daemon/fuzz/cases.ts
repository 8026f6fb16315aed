/**
 * fast-check generators of hostile traffic for the daemon: HTTP requests with wrong, missing,
 * contradictory and oversized headers and bodies; raw byte streams; WebSocket upgrades and
 * frames (masked and not, fragmented, with lengths that lie); protocol messages close to
 * valid, before and after authentication. Each becomes a {@link WireCase}: bytes cut into
 * pieces with pauses (slow senders), possibly cut short, ended by close, reset or waiting.
 */
import fc from "fast-check";
import { PROTOCOL_VERSION } from "@portrait-upscale/shared";
import type { Ending, Step, WireCase } from "./wire";

/** What the generators need to know about the daemon under test. */
export interface Target {
  readonly hostHeader: string;
  readonly token: string;
  /** Longest pause of a slow sender, in milliseconds. */
  readonly maxPauseMs: number;
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** A tiny valid PNG (1×1). */
const PNG_1X1 = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f00050002015c2b3b2b0000000049454e44ae426082",
  "hex",
);

const weirdValue = fc.constantFrom("", "0", "1", "-1", "2", "4", "8", "0x2", "1e3", "NaN", "Infinity", "x4fast", "x4plus", "png", "raw", "portrait-natural", "%00", "a".repeat(300), "9".repeat(30));
const queryKey = fc.constantFrom("width", "height", "channels", "bitDepth", "scale", "model", "preset", "format", "tile", "review", "crc32", "creativity", "device", "device", "__proto__", "constructor", "x");

const query = fc
  .array(fc.tuple(queryKey, weirdValue), { maxLength: 6 })
  .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join("&")}`));

const path = fc.oneof(
  fc.constantFrom("/v1/health", "/v1/info", "/v1/presets", "/v1/devices", "/v1/pair", "/v1/pair/code", "/", "/v1/ws", "/v1/jobs/j_nope", "/v1/jobs/j_nope/result", "/v1/jobs/j_nope/events", "/v1/jobs/j_nope/review.png", "/%zz", "*"),
  query.map((q) => `/v1/jobs${q}`),
  query.map((q) => `/v1/estimate${q}`),
  fc.constant(`/v1/${"a".repeat(9000)}`),
);

const method = fc.constantFrom("GET", "POST", "DELETE", "PUT", "OPTIONS", "HEAD", "PATCH", "G\u0000T", "CONNECT");

/** A body: nothing, random bytes, a small PNG (whole or cut), JSON, or raw pixels of a tiny image. */
const body = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ maxLength: 2048 }),
  fc.constant(new Uint8Array(PNG_1X1)),
  fc.nat(PNG_1X1.length).map((cut) => new Uint8Array(PNG_1X1.subarray(0, cut))),
  fc.jsonValue({ maxDepth: 3 }).map((value) => text(JSON.stringify(value) ?? "null")),
  fc.constantFrom('{"code":"123-456"}', '{"code":"000000"}', '{"code":12}', "{").map(text),
  fc.constant(new Uint8Array(48)),
);

function headerArb(target: Target) {
  return fc.record({
    host: fc.constantFrom(target.hostHeader, target.hostHeader, target.hostHeader, target.hostHeader, target.hostHeader, "attacker.example", "", "localhost:1", undefined),
    origin: fc.constantFrom(undefined, undefined, undefined, undefined, "https://evil.example", "null", "plugin://panel"),
    authorization: fc.constantFrom(undefined, `Bearer ${target.token}`, `Bearer ${target.token}`, `Bearer ${target.token}`, "Bearer wrong-token", "Basic x", "Bearer"),
    contentType: fc.constantFrom(undefined, "application/octet-stream", "image/png", "application/json", "text/plain"),
    length: fc.constantFrom("exact", "exact", "none", "more", "less", "huge", "garbage", "twice"),
    chunked: fc.boolean(),
    expect: fc.boolean(),
    extra: fc.constantFrom("", "", "X-Job-Options: {\"scale\":2}\r\n", "X-Job-Options: {\"__proto__\":1}\r\n", "X-Job-Options: {\"device\":1}\r\n", "X-Job-Options: {\"device\":7}\r\n", "X-Job-Options: {\"device\":\"1\"}\r\n", `X-Big: ${"b".repeat(20_000)}\r\n`, "Bad Header\r\n", "Connection: keep-alive\r\n"),
  });
}

function chunkedBody(bytes: Uint8Array, broken: boolean): Uint8Array {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 700) {
    const piece = bytes.subarray(at, at + 700);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), Buffer.from(piece), Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(broken ? "zz\r\n" : "0\r\n\r\n"));
  return Buffer.concat(parts);
}

/** One HTTP request as bytes. */
function httpRequestArb(target: Target): fc.Arbitrary<Uint8Array> {
  return fc.record({ method, path, headers: headerArb(target), body, brokenChunks: fc.boolean() }).map(({ method: verb, path: target_, headers, body: payload, brokenChunks }) => {
    const lines = [`${verb} ${target_} HTTP/1.1`];
    if (headers.host !== undefined) lines.push(`Host: ${headers.host}`);
    if (headers.origin !== undefined) lines.push(`Origin: ${headers.origin}`);
    if (headers.authorization !== undefined) lines.push(`Authorization: ${headers.authorization}`);
    if (headers.contentType !== undefined) lines.push(`Content-Type: ${headers.contentType}`);
    if (headers.expect) lines.push("Expect: 100-continue");
    let sent = payload;
    if (headers.chunked) {
      lines.push("Transfer-Encoding: chunked");
      sent = chunkedBody(payload, brokenChunks);
    } else if (headers.length !== "none") {
      const declared = {
        exact: String(payload.length),
        more: String(payload.length + 100),
        less: String(Math.max(0, payload.length - 10)),
        huge: "99999999999",
        garbage: "12abc",
        twice: `${payload.length}\r\nContent-Length: ${payload.length + 1}`,
      }[headers.length as "exact"];
      lines.push(`Content-Length: ${declared}`);
    }
    const head = `${lines.join("\r\n")}\r\n${headers.extra}\r\n`;
    return new Uint8Array(Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(sent)]));
  });
}

/** Protocol messages near the real ones (shared/src/protocol.ts), valid or a little off. */
function protocolMessageArb(target: Target): fc.Arbitrary<unknown> {
  const image = fc.record({
    width: fc.constantFrom(1, 4, 8, 0, -1, 100_000),
    height: fc.constantFrom(1, 4, 8, 0, 100_000),
    channels: fc.constantFrom(1, 3, 4, 5),
    bitDepth: fc.constantFrom(8, 16, 12),
    byteLength: fc.constantFrom(4, 48, 192, 0, 2 ** 40, -5),
    crc32: fc.constantFrom("00000000", "ffffffff", "xyz"),
  });
  const jobId = fc.constantFrom("j_nope", "j_", "x", "j_AAAAAAAAAAAAAAAA");
  /** Absent, listed, unlisted, out of range, or not a number at all. */
  const device = fc.constantFrom(undefined, 0, 1, 7, 64, 65, -1, 0.5, 1e300, "1", null, true, [0], { id: 0 });
  return fc.oneof(
    fc.record({ type: fc.constant("hello"), protocol: fc.constantFrom(PROTOCOL_VERSION, PROTOCOL_VERSION, 0, 99, "1"), client: fc.constant({ name: "fuzz", version: "1" }), token: fc.constantFrom(target.token, target.token, "wrong", undefined), features: fc.constantFrom(undefined, ["notes"], ["review-crops", "nope"], ["estimate"], ["devices"], ["devices", "devices"], ["devices", "estimate", "notes", "review-crops"], "x") }, { requiredKeys: ["type"] }),
    fc.record({ type: fc.constant("pair"), code: fc.constantFrom("123-456", "000-000", "12", 5) }),
    fc.record({ type: fc.constant("submit"), requestId: fc.constantFrom("r1", "", "bad id"), preset: fc.constantFrom("portrait-natural", "nope", "studio-locked"), overrides: fc.constantFrom({}, { model: "x4fast" }, { scale: 5 }, null), review: fc.boolean(), keep: fc.constantFrom(undefined, true, 1), device, image }, { requiredKeys: ["type"] }),
    fc.record({ type: fc.constant("estimate"), requestId: fc.constantFrom("e1", "", "bad id"), preset: fc.constantFrom("portrait-natural", "nope", "studio-locked"), overrides: fc.constantFrom({}, { faceRestore: "user:none" }, { scale: 5 }, { device: 1 }, null), device, width: fc.constantFrom(1, 640, 0, 300_001, -1, "9"), height: fc.constantFrom(1, 480, 100_000, 1e12) }, { requiredKeys: ["type"] }),
    fc.record({ type: fc.constant("ack"), transferId: fc.constantFrom(1, 2, 0, -1, 2 ** 33), received: fc.constantFrom(0, 1, 5, -1, 1e9) }),
    fc.record({ type: fc.constantFrom("cancel", "fetch-result"), jobId }),
    fc.constant({ type: "ping" }),
    fc.record({ type: fc.constantFrom("welcome", "result", "bogus", "__proto__") }),
    fc.jsonValue({ maxDepth: 4 }),
    fc.constant({ type: "hello", protocol: PROTOCOL_VERSION, padding: "p".repeat(5000) }),
  );
}

/** One client-to-server WebSocket frame, masked unless asked otherwise, its length possibly a lie. */
function frame(opcode: number, payload: Uint8Array, options: { fin?: boolean; masked?: boolean; declared?: number } = {}): Uint8Array {
  const fin = options.fin ?? true;
  const masked = options.masked ?? true;
  const length = options.declared ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(length));
    head.push(...big);
  }
  const mask = [0x12, 0x34, 0x56, 0x78];
  const body = Buffer.from(payload);
  if (masked) {
    head.push(...mask);
    for (let i = 0; i < body.length; i += 1) body[i] ^= mask[i % 4];
  }
  return new Uint8Array(Buffer.concat([Buffer.from(head), body]));
}

/** A binary chunk frame's payload as the protocol lays it out (transfer id, index, count, bytes). */
function chunkPayload(transferId: number, index: number, count: number, bytes: Uint8Array): Uint8Array {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(transferId >>> 0, 0);
  header.writeUInt32BE(index >>> 0, 4);
  header.writeUInt32BE(count >>> 0, 8);
  return new Uint8Array(Buffer.concat([header, Buffer.from(bytes)]));
}

function wsFrameArb(target: Target): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 5, arbitrary: protocolMessageArb(target).map((message) => frame(0x1, text(JSON.stringify(message) ?? "null"))) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2, 3), fc.nat(3), fc.constantFrom(1, 2, 0), fc.uint8Array({ maxLength: 256 })).map(([id, index, count, bytes]) => frame(0x2, chunkPayload(id, index, count, bytes))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => frame(0x2, bytes)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x0, 0x3, 0x7, 0x9, 0xa, 0xb, 0xf), fc.uint8Array({ maxLength: 140 })).map(([opcode, bytes]) => frame(opcode, bytes)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(0xffff), fc.string({ maxLength: 20 })).map(([code, reason]) => frame(0x8, new Uint8Array(Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason.toLowerCase())])))) },
    { weight: 1, arbitrary: protocolMessageArb(target).map((message) => frame(0x1, text(JSON.stringify(message) ?? "null"), { masked: false })) },
    { weight: 1, arbitrary: fc.constantFrom(70_000, 5_000_000, 2 ** 40).map((declared) => frame(0x2, new Uint8Array(16), { declared })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((part) => frame(0x1, text(`{"type":"${part}`), { fin: false })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }) },
  );
}

function upgradeArb(target: Target): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      path: fc.constantFrom("/v1/ws", "/v1/ws", "/v1/ws", "/other", "/v1/ws?token=x"),
      host: fc.constantFrom(target.hostHeader, target.hostHeader, target.hostHeader, "attacker.example"),
      origin: fc.constantFrom(undefined, undefined, undefined, "https://evil.example", "plugin://x"),
      key: fc.constantFrom("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ==", "short", undefined),
      version: fc.constantFrom("13", "13", "8"),
      authorization: fc.constantFrom(undefined, undefined, `Bearer ${target.token}`, "Bearer wrong"),
    })
    .map((up) => {
      const lines = [`GET ${up.path} HTTP/1.1`, `Host: ${up.host}`, "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Version: ${up.version}`];
      if (up.key !== undefined) lines.push(`Sec-WebSocket-Key: ${up.key}`);
      if (up.origin !== undefined) lines.push(`Origin: ${up.origin}`);
      if (up.authorization !== undefined) lines.push(`Authorization: ${up.authorization}`);
      return text(`${lines.join("\r\n")}\r\n\r\n`);
    });
}

/** A valid hello with the token (so that what follows is judged after authentication). */
function helloFrame(target: Target): Uint8Array {
  return frame(0x1, text(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, client: { name: "fuzz", version: "1" }, token: target.token })));
}

/** Bytes → steps: cut into pieces with pauses between some of them, maybe cut short (a reset at any stage). */
function deliveryArb(target: Target, bytes: Uint8Array): fc.Arbitrary<{ steps: Step[]; ending: Ending }> {
  return fc
    .record({
      cuts: fc.array(fc.nat(Math.max(0, bytes.length)), { maxLength: 4 }),
      pauses: fc.array(fc.nat(target.maxPauseMs), { minLength: 4, maxLength: 4 }),
      truncateAt: fc.option(fc.nat(Math.max(0, bytes.length)), { freq: 4 }),
      ending: fc.constantFrom<Ending>("wait", "wait", "close", "reset"),
    })
    .map(({ cuts, pauses, truncateAt, ending }) => {
      const end = truncateAt ?? bytes.length;
      const points = [...new Set([0, ...cuts.filter((cut) => cut < end), end])].sort((a, b) => a - b);
      const steps: Step[] = [];
      for (let i = 0; i + 1 < points.length; i += 1) {
        if (i > 0 && pauses[i % 4] > 0) steps.push({ pauseMs: pauses[i % 4] });
        steps.push({ send: bytes.subarray(points[i], points[i + 1]) });
      }
      return { steps, ending: truncateAt !== null && ending === "wait" ? "reset" : ending };
    });
}

/** Every kind of hostile case, weighted towards HTTP and WebSocket traffic. */
export function hostileCaseArb(target: Target): fc.Arbitrary<WireCase> {
  const http = fc.array(httpRequestArb(target), { minLength: 1, maxLength: 2 }).map((requests) => ({ kind: requests.length > 1 ? "http-pipelined" : "http", bytes: new Uint8Array(Buffer.concat(requests)) }));
  const raw = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.uint8Array({ maxLength: 512 }).map((junk) => new Uint8Array(Buffer.concat([Buffer.from("GET /v1/health HTTP/1.1\r\n"), Buffer.from(junk)])))).map((bytes) => ({ kind: "raw-bytes", bytes }));
  const ws = fc
    .record({ upgrade: upgradeArb(target), authenticate: fc.boolean(), frames: fc.array(wsFrameArb(target), { maxLength: 6 }) })
    .map(({ upgrade, authenticate, frames }) => ({
      kind: authenticate ? "websocket-authenticated" : "websocket",
      bytes: new Uint8Array(Buffer.concat([upgrade, ...(authenticate ? [helloFrame(target)] : []), ...frames])),
    }));
  return fc
    .oneof({ weight: 4, arbitrary: http }, { weight: 1, arbitrary: raw }, { weight: 4, arbitrary: ws })
    .chain(({ kind, bytes }) => deliveryArb(target, bytes).map(({ steps, ending }) => ({ kind, steps, ending })));
}

import { describe, expect, it } from "vitest";
import { crc32, crc32Hex, crc32Update } from "../src/crc32";

const ascii = (text: string) => new TextEncoder().encode(text);

describe("crc32", () => {
  it.each([
    ["", "00000000"],
    ["a", "e8b7be43"],
    ["abc", "352441c2"],
    ["123456789", "cbf43926"],
    ["The quick brown fox jumps over the lazy dog", "414fa339"],
  ])("matches the IEEE check value for %j", (text, hex) => {
    expect(crc32Hex(crc32(ascii(text)))).toBe(hex);
  });

  it("gives the same value fed in pieces", () => {
    const data = new Uint8Array(1000).map((_, i) => (i * 7919) & 0xff);
    let running = 0;
    for (let start = 0; start < data.length; start += 333) running = crc32Update(running, data.subarray(start, start + 333));
    expect(running).toBe(crc32(data));
    expect(crc32(new Uint8Array(4).fill(0xff))).toBe(0xffffffff);
  });

  it("spells values as 8 lower-case hex digits", () => {
    expect(crc32Hex(0x1a)).toBe("0000001a");
    expect(crc32Hex(0xdeadbeef)).toBe("deadbeef");
  });
});

import { describe, expect, it } from "vitest";
import { chooseTile, CPU_BUDGET_SHARE, GPU_DEFAULT_BUDGET, memoryBudget, parseMemoryBudget } from "./tile-size";

const GiB = 1024 ** 3;
const x4plus = { bytesPerTilePixel: 16_000, fixedBytes: 0, context: 48 };
const x4fast = { bytesPerTilePixel: 1_100, fixedBytes: 0, context: 20 };

describe("chooseTile", () => {
  it.each([
    { name: "x4plus 512² fits 6 GiB: untiled", width: 512, height: 512, budget: 6 * GiB, models: [x4plus], expected: 512 },
    { name: "x4plus 2048² under 2 GiB: the largest 64-multiple whose window fits", width: 2048, height: 2048, budget: 2 * GiB, models: [x4plus], expected: 256 },
    { name: "x4plus 2048² under 6 GiB", width: 2048, height: 2048, budget: 6 * GiB, models: [x4plus], expected: 512 },
    { name: "a wide strip fits by area, untiled", width: 1000, height: 100, budget: 2 * GiB, models: [x4plus], expected: 1000 },
    { name: "the hungriest model decides", width: 4000, height: 3000, budget: 2 * GiB, models: [x4fast, x4plus], expected: 256 },
    { name: "x4fast alone gets larger tiles", width: 4000, height: 3000, budget: 2 * GiB, models: [x4fast], expected: 1344 },
    { name: "a budget too small still gives the smallest tile", width: 2048, height: 2048, budget: 100e6, models: [x4plus], expected: 32 },
    { name: "fixed bytes count against the budget", width: 2048, height: 2048, budget: 2 * GiB, models: [{ ...x4plus, fixedBytes: 1 * GiB }], expected: 128 },
    { name: "a tiny image is one tile", width: 8, height: 5, budget: 1 * GiB, models: [x4plus], expected: 32 },
  ])("$name → $expected", ({ width, height, budget, models, expected }) => {
    expect(chooseTile({ width, height, budget, models })).toBe(expected);
  });

  it("the user's tile wins and is validated", () => {
    expect(chooseTile({ width: 4000, height: 4000, budget: GiB, models: [x4plus], override: 32 })).toBe(32);
    expect(() => chooseTile({ width: 10, height: 10, budget: GiB, models: [x4plus], override: 8 })).toThrow(
      "Expected an integer from 32 to 4096 for tile but received 8 of type number",
    );
  });

  it("depends only on its inputs (no momentary free memory): the same call gives the same tile", () => {
    const options = { width: 3000, height: 2000, budget: memoryBudget({ provider: "cpu" }), models: [x4plus] };
    expect(chooseTile(options)).toBe(chooseTile(options));
  });
});

describe("memoryBudget", () => {
  it.each([
    { provider: "cpu", totalBytes: 24 * GiB, expected: 24 * GiB * CPU_BUDGET_SHARE },
    { provider: "cpu", totalBytes: 8 * GiB, expected: 2 * GiB },
    { provider: "cuda", totalBytes: 64 * GiB, expected: GPU_DEFAULT_BUDGET },
    { provider: "cpu", totalBytes: 24 * GiB, configured: 1.5 * GiB, expected: 1.5 * GiB },
    { provider: "dml", configured: 6 * GiB, expected: 6 * GiB },
  ])("$provider, total $totalBytes, configured $configured → $expected", ({ expected, ...options }) => {
    expect(memoryBudget(options)).toBe(expected);
  });
});

describe("parseMemoryBudget", () => {
  it.each([
    ["4G", 4 * GiB],
    ["1.5g", 1.5 * GiB],
    ["1500M", 1500 * 1024 ** 2],
    ["2GiB", 2 * GiB],
    [3221225472, 3 * GiB],
  ])("%s → %d bytes", (text, bytes) => {
    expect(parseMemoryBudget(text)).toBe(bytes);
  });

  it.each(["", "lots", "-1G", "4T", "10M"])("refuses %j with the one message shape", (text) => {
    expect(() => parseMemoryBudget(text, "--memory-budget")).toThrow(/^Expected (a size such as 4G, 1500M or a number of bytes|at least 64M) for --memory-budget but received/);
  });
});

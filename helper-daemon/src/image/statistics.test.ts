import { describe, expect, it } from "vitest";
import { median, type EvenMedian } from "./statistics";

describe("median", () => {
  it.each<[string, number[], EvenMedian, number]>([
    ["one value", [7], "mean", 7],
    ["an odd count, unsorted", [5, 1, 4, 2, 3], "mean", 3],
    ["an odd count ignores the even rule", [5, 1, 4, 2, 3], "upper", 3],
    ["an even count, unsorted: mean of the middle two", [4, 1, 3, 2], "mean", 2.5],
    ["an even count, unsorted: the upper middle", [4, 1, 3, 2], "upper", 3],
    ["two values", [10, 20], "mean", 15],
    ["two values, upper", [10, 20], "upper", 20],
    ["repeated values", [2, 2, 1, 2], "mean", 2],
    ["negative and positive values", [-3, 8, -1, 0, 2], "mean", 0],
    ["infinities order like numbers", [Infinity, 1, -Infinity], "mean", 1],
    ["numeric order, not text order", [10, 9, 100], "mean", 10],
  ])("%s", (_, values, even, expected) => {
    expect(median(values, even)).toBe(expected);
  });

  it.each<[string, number[]]>([
    ["empty input", []],
    ["a NaN among numbers", [1, Number.NaN, 3]],
    ["only NaN", [Number.NaN]],
  ])("%s gives NaN", (_, values) => {
    expect(median(values)).toBeNaN();
    expect(median(values, "upper")).toBeNaN();
  });

  it("reads a Float32Array (a plane's data) without rounding its values", () => {
    const data = Float32Array.from([0.1, 0.7, 0.3]);
    expect(median(data)).toBe(data[2]);
  });

  it("leaves its input in its order", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

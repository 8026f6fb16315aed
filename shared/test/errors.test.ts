import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ERROR_ADVICE,
  ERROR_CODES,
  ERROR_HTTP_STATUS,
  ERROR_WS_CLOSE_CODE,
  PortraitError,
  invalidParameter,
  isErrorCode,
  toErrorPayload,
} from "../src/errors";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
const rows = doc
  .split("\n")
  .filter((line) => line.startsWith("| `"))
  .map((line) => line.slice(1, -1).split(" | ").map((cell) => cell.trim()));

describe("docs/errors.md", () => {
  it("lists exactly the codes of ERROR_CODES, in the same order", () => {
    expect(rows.map((row) => row[0].replaceAll("`", ""))).toEqual(Object.keys(ERROR_CODES));
  });

  it("gives each code the meaning, HTTP status, close code and advice defined in shared/", () => {
    for (const [cell, meaning, status, close, advice] of rows) {
      const code = cell.replaceAll("`", "");
      if (!isErrorCode(code)) throw new Error(`unknown code ${code}`);
      expect({ code, meaning, status, close, advice }).toEqual({
        code,
        meaning: ERROR_CODES[code],
        status: String(ERROR_HTTP_STATUS[code]),
        close: String(ERROR_WS_CLOSE_CODE[code] ?? "—"),
        advice: ERROR_ADVICE[code],
      });
    }
  });
});

describe("PortraitError", () => {
  it("serialises to the payload every transport carries", () => {
    expect(new PortraitError("JOB_UNKNOWN").toPayload()).toEqual({ code: "JOB_UNKNOWN", message: ERROR_CODES.JOB_UNKNOWN });
    expect(toErrorPayload(new PortraitError("CANCELLED", "stopped", { jobId: "j_1" }))).toEqual({ code: "CANCELLED", message: "stopped", data: { jobId: "j_1" } });
    expect(toErrorPayload("boom")).toEqual({ code: "INTERNAL", message: "boom" });
  });

  it("builds the one parameter message, with extra data when given", () => {
    const error = invalidParameter("an integer", "tile", "big", "INVALID_OPTION", { path: "query.tile" });
    expect(error.message).toBe('Expected an integer for tile but received "big" of type string');
    expect(error.data).toEqual({ name: "tile", expected: "an integer", received: "big", path: "query.tile" });
  });
});

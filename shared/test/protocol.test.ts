import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { failure } from "./failure";
import { FIXTURE_SCHEMAS, type FixtureSchemaName, renderFixtureFiles } from "../fixtures/examples";
import { PortraitError } from "../src/errors";
import {
  MAX_TEXT_MESSAGE_BYTES,
  encodeMessage,
  errorMessage,
  parseClientMessage,
  parseDaemonMessage,
  parseJobOptionsHeader,
  parseJobQuery,
  rawImageParams,
} from "../src/protocol";
import { parse, parseQuery } from "../src/schema";

const fixturesDir = fileURLToPath(new URL("../fixtures/protocol/", import.meta.url));
const fixtureNames = readdirSync(fixturesDir).filter((name) => name.endsWith(".json")).sort();
const readFixture = (name: string): unknown => JSON.parse(readFileSync(fixturesDir + name, "utf8"));

function parseWith(schemaName: FixtureSchemaName, value: unknown): unknown {
  const { schema, root, query, code } = FIXTURE_SCHEMAS[schemaName];
  return query ? parseQuery(schema as never, value as Record<string, string>, root, code) : parse(schema as never, value, root, code);
}

describe("golden protocol fixtures", () => {
  it("are exactly what shared/fixtures/examples.ts generates (run `npm run fixtures -w shared`)", () => {
    const expected = renderFixtureFiles();
    expect(fixtureNames).toEqual([...expected.keys()].sort());
    for (const name of fixtureNames) expect(readFileSync(fixturesDir + name, "utf8"), name).toBe(expected.get(name));
  });

  it("cover every client and daemon message type", () => {
    const types = (prefix: string) => new Set(fixtureNames.filter((n) => n.startsWith(prefix)).map((n) => (readFixture(n) as { type: string }).type));
    expect([...types("client.")].sort()).toEqual(Object.keys(FIXTURE_SCHEMAS.client.schema.members).sort());
    expect([...types("daemon.")].sort()).toEqual(Object.keys(FIXTURE_SCHEMAS.daemon.schema.members).sort());
  });

  const valid = fixtureNames.filter((name) => !name.startsWith("invalid."));
  it.each(valid)("accepts %s", (name) => {
    const schemaName = name.split(".")[0] as FixtureSchemaName;
    const value = readFixture(name);
    const parsed = parseWith(schemaName, value);
    if (!FIXTURE_SCHEMAS[schemaName].query) expect(parsed).toEqual(value);
  });

  const invalid = fixtureNames.filter((name) => name.startsWith("invalid."));
  it.each(invalid)("refuses %s with its exact error", (name) => {
    const fixture = readFixture(name) as { schema: FixtureSchemaName; value: unknown; error: { code: string; path: string; message: string } };
    const error = failure(() => parseWith(fixture.schema, fixture.value));
    expect({ code: error.code, path: error.data?.path, message: error.message }).toEqual(fixture.error);
  });
});

describe("message parsing", () => {
  it("parses text frames in both directions and round-trips them", () => {
    const submit = readFixture("client.submit.json");
    expect(parseClientMessage(JSON.stringify(submit))).toEqual(submit);
    const welcome = parseDaemonMessage(JSON.stringify(readFixture("daemon.welcome.json")));
    expect(parseDaemonMessage(encodeMessage(welcome))).toEqual(welcome);
  });

  it("names the failing field after the message type", () => {
    const submit = readFixture("client.submit.json") as Record<string, unknown>;
    const error = failure(() => parseClientMessage(JSON.stringify({ ...submit, overrides: { creativity: -0.1 } })));
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toBe("Expected a number from 0 to 1 for submit.overrides.creativity but received -0.1 of type number");
    expect(error.data?.path).toBe("submit.overrides.creativity");
  });

  it("refuses a daemon message from a client", () => {
    expect(failure(() => parseClientMessage('{"type":"welcome"}')).data?.path).toBe("message.type");
  });

  it("refuses text that is not JSON, and text over the limit", () => {
    const notJson = failure(() => parseClientMessage("{type: ping}"));
    expect(notJson.code).toBe("MESSAGE_INVALID");
    expect(notJson.message).toBe('Expected JSON text for message but received "{type: ping}" of type string');
    const huge = failure(() => parseClientMessage(" ".repeat(MAX_TEXT_MESSAGE_BYTES + 1)));
    expect(huge.code).toBe("MESSAGE_TOO_LARGE");
    expect(huge.message).toBe(`Expected at most 1048576 bytes for a text message but received ${MAX_TEXT_MESSAGE_BYTES + 1}`);
  });

  it("turns any thrown value into an error message", () => {
    const locked = new PortraitError("PRESET_LOCKED", "locked", { fields: ["scale"] });
    expect(errorMessage(locked, { requestId: "r1" })).toEqual({ type: "error", requestId: "r1", code: "PRESET_LOCKED", message: "locked", data: { fields: ["scale"] } });
    expect(errorMessage(new Error("boom"), { jobId: "j_1" })).toEqual({ type: "error", jobId: "j_1", code: "INTERNAL", message: "boom" });
  });
});

describe("HTTP job parameters", () => {
  it("read the raw-pixel query", () => {
    const query = parseJobQuery(readFixture("job-query.raw-pixels.json") as Record<string, string>);
    expect(rawImageParams(query)).toEqual({ width: 640, height: 480, channels: 4, bitDepth: 16, colorProfile: "sRGB IEC61966-2.1", crc32: "1c291ca3" });
  });

  it("require the raw-pixel parameters for raw bodies", () => {
    const error = failure(() => rawImageParams(parseJobQuery({ width: "640", height: "480", channels: "3" })));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toBe("Expected one of 8, 16 for query.bitDepth but received undefined");
  });

  it("read X-Job-Options as typed JSON", () => {
    expect(parseJobOptionsHeader('{"preset":"fast-preview","scale":2,"review":true}')).toEqual({ preset: "fast-preview", scale: 2, review: true });
    expect(failure(() => parseJobOptionsHeader('{"scale":"2"}')).message).toBe(
      'Expected one of 2, 3, 4, 6, 8 for X-Job-Options.scale but received "2" of type string',
    );
    expect(failure(() => parseJobOptionsHeader("scale=2")).message).toBe(
      'Expected a JSON object for X-Job-Options but received "scale=2" of type string',
    );
  });
});

import { describe, expect, it } from "vitest";
import { failure } from "./failure";
import {
  type Infer,
  array,
  boolean,
  integer,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  parse,
  parseQuery,
  record,
  schemaError,
  string,
  union,
  unknown,
} from "../src/schema";

const point = object({ x: integer({ min: 0 }), y: integer({ min: 0 }), label: optional(string({ maxLength: 4 })) });
const shapes = union(
  "type",
  {
    dot: object({ type: literal("dot"), at: point }),
    line: object({ type: literal("line"), points: array(point, { minItems: 2 }) }),
  },
  { pathFromTag: true },
);

describe("schema", () => {
  it("derives TypeScript types from schemas", () => {
    type Point = Infer<typeof point>;
    const p: Point = { x: 1, y: 2 };
    const labelled: Point = { x: 1, y: 2, label: "a" };
    type Shape = Infer<typeof shapes>;
    const s: Shape = { type: "line", points: [p, labelled] };
    expect(parse(shapes, s, "shape")).toEqual(s);
  });

  it("returns a copy and drops absent optional fields", () => {
    const input = { x: 1, y: 2, label: undefined };
    const out = parse(point, input, "point");
    expect(out).toEqual({ x: 1, y: 2 });
    expect(out).not.toBe(input);
    expect(Object.keys(out)).toEqual(["x", "y"]);
  });

  it.each([
    [integer({ min: 1, max: 4 }), 5, "Expected an integer from 1 to 4 for v but received 5 of type number"],
    [integer(), 1.5, "Expected an integer for v but received 1.5 of type number"],
    [number({ min: 0, max: 1 }), Number.NaN, "Expected a number from 0 to 1 for v but received NaN of type number"],
    [number({ min: 0 }), "1", 'Expected a number of at least 0 for v but received "1" of type string'],
    [number({ above: 0 }), 0, "Expected a number above 0 for v but received 0 of type number"],
    [boolean(), 1, "Expected a boolean for v but received 1 of type number"],
    [string({ minLength: 1, maxLength: 3 }), "abcd", 'Expected a string of 1 to 3 characters for v but received "abcd" of type string'],
    [string({ pattern: /^a+$/ }), "b", 'Expected a string matching /^a+$/ for v but received "b" of type string'],
    [oneOf([8, 16]), 12, "Expected one of 8, 16 for v but received 12 of type number"],
    [oneOf(["a"]), "b", 'Expected "a" for v but received "b" of type string'],
    [literal("hello"), "helo", 'Expected "hello" for v but received "helo" of type string'],
    [array(integer(), { maxItems: 1 }), [1, 2], "Expected an array of at most 1 items for v but received an array of length 2"],
    [nullable(integer()), "x", 'Expected an integer or null for v but received "x" of type string'],
    [record(integer()), [], "Expected an object for v but received an array of length 0"],
  ])("refuses with the one message template (%#)", (schema, value, message) => {
    const error = failure(() => parse(schema as never, value, "v"));
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toBe(message);
    expect(error.data).toMatchObject({ path: "v" });
  });

  it("names nested fields by path, and array items by index", () => {
    const error = failure(() => parse(shapes, { type: "line", points: [{ x: 0, y: 0 }, { x: 0, y: -1 }] }, "shape"));
    expect(error.message).toBe("Expected an integer of at least 0 for line.points[1].y but received -1 of type number");
    expect(error.data).toEqual({ name: "line.points[1].y", expected: "an integer of at least 0", received: -1, path: "line.points[1].y" });
  });

  it("refuses unknown fields, listing the known ones", () => {
    const error = failure(() => parse(point, { x: 1, y: 2, lable: "a" }, "point"));
    expect(error.message).toBe('Expected no such field (known: x, y, label) for point.lable but received "a" of type string');
  });

  it("reports missing required fields as undefined", () => {
    expect(failure(() => parse(point, { x: 1 }, "point")).message).toBe(
      "Expected an integer of at least 0 for point.y but received undefined",
    );
  });

  it("names an unknown union tag with the tags it knows", () => {
    const error = failure(() => parse(shapes, { type: "circle" }, "shape"));
    expect(error.message).toBe('Expected one of "dot", "line" for shape.type but received "circle" of type string');
    expect(failure(() => parse(shapes, "dot", "shape")).message).toBe(
      'Expected an object for shape but received "dot" of type string',
    );
  });

  it("keeps the nested message when a nullable object's field is wrong", () => {
    const schema = object({ at: nullable(point) });
    expect(parse(schema, { at: null }, "o")).toEqual({ at: null });
    expect(failure(() => parse(schema, { at: { x: 1, y: "2" } }, "o")).message).toBe(
      'Expected an integer of at least 0 for o.at.y but received "2" of type string',
    );
  });

  it("uses the code it is given", () => {
    expect(failure(() => parse(boolean(), 0, "v", "PRESET_INVALID")).code).toBe("PRESET_INVALID");
  });

  it("passes unknown values through", () => {
    expect(parse(record(unknown()), { a: [1, { b: 2 }] }, "v")).toEqual({ a: [1, { b: 2 }] });
  });

  it("converts query strings by the field's kind", () => {
    const query = object({ n: optional(number()), i: integer(), b: optional(boolean()), s: optional(oneOf([2, 4])), t: optional(string()) });
    expect(parseQuery(query, { n: "0.5", i: "3", b: "1", s: "4", t: "12" })).toEqual({ n: 0.5, i: 3, b: true, s: 4, t: "12" });
    expect(parseQuery(query, { i: "3", b: "false" })).toEqual({ i: 3, b: false });
    const error = failure(() => parseQuery(query, { i: "three" }));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toBe('Expected an integer for query.i but received "three" of type string');
    expect(failure(() => parseQuery(query, { i: "1", b: "yes" })).message).toBe(
      'Expected a boolean for query.b but received "yes" of type string',
    );
    expect(failure(() => parseQuery(query, { i: "" })).message).toBe('Expected an integer for query.i but received "" of type string');
  });

  it("drops unknown fields instead of refusing them when asked, and still checks the known ones", () => {
    const open = object({ x: integer(), inner: object({ y: integer() }, { unknownFields: "drop" }) }, { unknownFields: "drop" });
    expect(parse(open, { x: 1, extra: true, inner: { y: 2, more: "z" } }, "v")).toEqual({ x: 1, inner: { y: 2 } });
    expect(failure(() => parse(open, { x: "1", extra: true }, "v")).message).toBe('Expected an integer for v.x but received "1" of type string');
    expect(failure(() => parse(open, { x: 1 }, "v")).message).toBe("Expected an object for v.inner but received undefined");
  });

  it("a cross-field check names an item of an array by its index", () => {
    const list = object(
      { ids: array(string()) },
      {
        check({ ids }, path, code) {
          ids.forEach((id, index) => {
            if (ids.indexOf(id) < index) throw schemaError("a unique id", `${path}.ids[${index}]`, id, code);
          });
        },
      },
    );
    expect(failure(() => parse(list, { ids: ["a", "b", "a"] }, "v")).message).toBe('Expected a unique id for v.ids[2] but received "a" of type string');
  });
});

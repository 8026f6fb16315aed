/**
 * The protocol's schemas, built on valibot (which runs in Node and in UXP): each schema here
 * wraps a valibot schema with the words that describe a valid value, and through {@link Infer}
 * gives its TypeScript type, so a message is described once and checked on both ends.
 *
 * Every failure is a PortraitError with the one template
 * "Expected X for Y but received Z", where Y is the field's path (`submit.overrides.creativity`).
 * Objects are strict: unknown fields are refused so typos surface instead of being ignored.
 * This module is the one to import: it builds the value schemas and re-exports the core
 * (./schema-core) and the object, union and query schemas (./schema-objects).
 */
import * as v from "valibot";
import { type Schema, type SchemaKind, plainObject, quote, wrap } from "./schema-core";

export { type Infer, type InferShape, type Schema, type SchemaKind, type Shape, matches, parse, schemaError } from "./schema-core";
export { type ObjectSchema, type UnionSchema, object, parseQuery, union } from "./schema-objects";

interface StringOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: RegExp;
  /** Replaces the generated description, for patterns that read badly as a regular expression. */
  readonly expected?: string;
}

/** A string, optionally limited in length or matching a pattern. */
export function string(options: StringOptions = {}): Schema<string> {
  const { minLength = 0, maxLength = Number.POSITIVE_INFINITY, pattern } = options;
  const expected =
    options.expected ??
    (pattern !== undefined
      ? `a string matching ${String(pattern)}`
      : minLength > 0 && Number.isFinite(maxLength)
        ? `a string of ${minLength} to ${maxLength} characters`
        : minLength > 0
          ? `a non-empty string`
          : Number.isFinite(maxLength)
            ? `a string of at most ${maxLength} characters`
            : "a string");
  return wrap(
    "string",
    expected,
    v.pipe(
      v.string(expected),
      v.minLength(minLength, expected),
      v.maxLength(Number.isFinite(maxLength) ? maxLength : Number.MAX_SAFE_INTEGER, expected),
      v.check((text) => pattern === undefined || pattern.test(text), expected),
    ),
  );
}

/** One of a fixed list of values (strings or numbers). */
export function oneOf<const T extends readonly (string | number)[]>(values: T): Schema<T[number]> {
  const expected =
    values.length === 1 ? quote(values[0]) : `one of ${values.map((value) => quote(value)).join(", ")}`;
  const kind: SchemaKind = values.every((value) => typeof value === "string")
    ? "string"
    : values.every((value) => Number.isInteger(value))
      ? "integer"
      : "number";
  return wrap(kind, expected, v.picklist(values as unknown as T[number][], expected) as v.GenericSchema<unknown, T[number]>);
}

/** Exactly `value` (typically a message's `type` tag or a version number). */
export function literal<const T extends string | number | boolean>(value: T): Schema<T> {
  const expected = quote(value);
  return wrap("literal", expected, v.literal(value, expected) as v.GenericSchema<unknown, T>);
}

interface RangeOptions {
  readonly min?: number;
  readonly max?: number;
  /** An exclusive lower bound (0 for "positive"). */
  readonly above?: number;
}

function describeRange(noun: string, { min, max, above }: RangeOptions): string {
  if (above !== undefined) return `${noun} above ${above}`;
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (min !== undefined) return `${noun} of at least ${min}`;
  if (max !== undefined) return `${noun} of at most ${max}`;
  return noun;
}

function numberSchema(kind: "integer" | "number", range: RangeOptions): Schema<number> {
  const expected = describeRange(kind === "integer" ? "an integer" : "a number", range);
  return wrap(
    kind,
    expected,
    v.pipe(
      v.number(expected),
      v.check((value) => (kind === "integer" ? Number.isSafeInteger(value) : Number.isFinite(value)), expected),
      v.check((value) => inRange(value, range), expected),
    ),
  );
}

/** A whole number, optionally within `min..max` (inclusive). */
export function integer(range: RangeOptions = {}): Schema<number> {
  return numberSchema("integer", range);
}

/** A finite number, optionally within `min..max` (inclusive). */
export function number(range: RangeOptions = {}): Schema<number> {
  return numberSchema("number", range);
}

/** true or false. */
export function boolean(): Schema<boolean> {
  return wrap("boolean", "a boolean", v.boolean("a boolean"));
}

/** Any JSON value, passed through unchecked (for data owned by another module, e.g. error data). */
export function unknown(): Schema<unknown> {
  return wrap("unknown", "any value", v.unknown());
}

interface ArrayOptions {
  readonly minItems?: number;
  readonly maxItems?: number;
}

/** An array whose items all match `item`; items are named `path[i]`. */
export function array<T>(item: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  const { minItems = 0, maxItems = Number.POSITIVE_INFINITY } = options;
  const expected =
    minItems > 0 && Number.isFinite(maxItems)
      ? `an array of ${minItems} to ${maxItems} items`
      : minItems > 0
        ? `an array of at least ${minItems} items`
        : Number.isFinite(maxItems)
          ? `an array of at most ${maxItems} items`
          : "an array";
  // The length is checked before the items, so a wrong count is reported as such.
  const sized = v.pipe(
    v.array(v.unknown(), expected),
    v.check((list) => list.length >= minItems && list.length <= maxItems, expected),
  );
  return wrap("array", expected, v.pipe(sized, v.array(item.valibot)) as v.GenericSchema<unknown, T[]>);
}

/** A plain object whose keys are free and whose values all match `value`. */
export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return wrap("record", "an object", v.pipe(plainObject(), v.record(v.string(), value.valibot)) as v.GenericSchema<unknown, Record<string, T>>);
}

/** Marks a field of an object as optional (it may be absent; `undefined` counts as absent). */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> & { readonly isOptional: true } {
  return { ...wrap(schema.kind, schema.expected, v.optional(schema.valibot)), isOptional: true };
}

/** `schema` or null. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  const expected = `${schema.expected} or null`;
  const valibot = v.pipe(
    v.unknown(),
    v.rawTransform<unknown, T | null>(({ dataset, addIssue, NEVER }) => {
      if (dataset.value === null) return null;
      const result = v.safeParse(schema.valibot, dataset.value, { abortEarly: true });
      if (result.success) return result.output;
      // Nested fields keep their own precise message; only the top level mentions null.
      const [issue] = result.issues;
      if (issue.path === undefined) addIssue({ message: expected, input: issue.input });
      else addIssue({ message: issue.message, input: issue.input, path: issue.path });
      return NEVER;
    }),
  );
  return wrap("nullable", expected, valibot);
}

function inRange(value: number, { min, max, above }: RangeOptions): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max) && (above === undefined || value > above);
}

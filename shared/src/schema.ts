/**
 * A small schema language: each schema validates a value and, through {@link Infer},
 * gives its TypeScript type, so a message is described once and checked on both ends.
 *
 * Every failure is a PortraitError with the one template
 * "Expected X for Y but received Z", where Y is the field's path (`submit.overrides.creativity`).
 * Objects are strict: unknown fields are refused so typos surface instead of being ignored.
 */
import { type ErrorCode, PortraitError, invalidParameter } from "./errors";

/** A validator for values of type `T`. */
export interface Schema<T> {
  /** What a valid value looks like, in words ("a number from 0 to 1"); used as X in the message. */
  readonly expected: string;
  /** Returns a fresh, validated value or throws a PortraitError naming `path`. */
  readonly parse: (value: unknown, path: string, code: ErrorCode) => T;
  /** True for schemas made by {@link optional}: the field may be absent. */
  readonly isOptional?: boolean;
  /** The primitive kind, so query strings can be converted before validation. */
  readonly kind: SchemaKind;
}

export type SchemaKind =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "literal"
  | "array"
  | "object"
  | "union"
  | "unknown"
  | "record"
  | "nullable";

/** The TypeScript type a schema validates. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { readonly isOptional: true } ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The object type described by a shape: optional schemas become optional properties. */
export type InferShape<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/** Builds the standard validation error for `path`. */
export function schemaError(expected: string, path: string, received: unknown, code: ErrorCode): PortraitError {
  return invalidParameter(expected, path, received, code, { path });
}

/**
 * Validates `value` against `schema`, naming fields from `root`.
 * @example parse(submitSchema, JSON.parse(text), "submit")
 */
export function parse<T>(schema: Schema<T>, value: unknown, root: string, code: ErrorCode = "MESSAGE_INVALID"): T {
  return schema.parse(value, root, code);
}

/** True when `value` satisfies `schema` (no error is built for the caller). */
export function matches<T>(schema: Schema<T>, value: unknown): value is T {
  try {
    schema.parse(value, "value", "MESSAGE_INVALID");
    return true;
  } catch {
    return false;
  }
}

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
  return {
    kind: "string",
    expected,
    parse(value, path, code) {
      if (
        typeof value !== "string" ||
        value.length < minLength ||
        value.length > maxLength ||
        (pattern !== undefined && !pattern.test(value))
      ) {
        throw schemaError(expected, path, value, code);
      }
      return value;
    },
  };
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
  return {
    kind,
    expected,
    parse(value, path, code) {
      if (!(values as readonly unknown[]).includes(value)) throw schemaError(expected, path, value, code);
      return value as T[number];
    },
  };
}

/** Exactly `value` (typically a message's `type` tag or a version number). */
export function literal<const T extends string | number | boolean>(value: T): Schema<T> {
  const expected = quote(value);
  return {
    kind: "literal",
    expected,
    parse(received, path, code) {
      if (received !== value) throw schemaError(expected, path, received, code);
      return value;
    },
  };
}

interface RangeOptions {
  readonly min?: number;
  readonly max?: number;
}

function describeRange(noun: string, { min, max }: RangeOptions): string {
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (min !== undefined) return `${noun} of at least ${min}`;
  if (max !== undefined) return `${noun} of at most ${max}`;
  return noun;
}

/** A whole number, optionally within `min..max` (inclusive). */
export function integer(range: RangeOptions = {}): Schema<number> {
  const expected = describeRange("an integer", range);
  return {
    kind: "integer",
    expected,
    parse(value, path, code) {
      if (!Number.isSafeInteger(value) || !inRange(value as number, range)) {
        throw schemaError(expected, path, value, code);
      }
      return value as number;
    },
  };
}

/** A finite number, optionally within `min..max` (inclusive). */
export function number(range: RangeOptions = {}): Schema<number> {
  const expected = describeRange("a number", range);
  return {
    kind: "number",
    expected,
    parse(value, path, code) {
      if (typeof value !== "number" || !Number.isFinite(value) || !inRange(value, range)) {
        throw schemaError(expected, path, value, code);
      }
      return value;
    },
  };
}

/** true or false. */
export function boolean(): Schema<boolean> {
  return {
    kind: "boolean",
    expected: "a boolean",
    parse(value, path, code) {
      if (typeof value !== "boolean") throw schemaError("a boolean", path, value, code);
      return value;
    },
  };
}

/** Any JSON value, passed through unchecked (for data owned by another module, e.g. error data). */
export function unknown(): Schema<unknown> {
  return { kind: "unknown", expected: "any value", parse: (value) => value };
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
  return {
    kind: "array",
    expected,
    parse(value, path, code) {
      if (!Array.isArray(value) || value.length < minItems || value.length > maxItems) {
        throw schemaError(expected, path, value, code);
      }
      return value.map((entry, index) => item.parse(entry, `${path}[${index}]`, code));
    },
  };
}

/** A plain object whose keys are free and whose values all match `value`. */
export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  return {
    kind: "record",
    expected: "an object",
    parse(received, path, code) {
      if (!isPlainObject(received)) throw schemaError("an object", path, received, code);
      const out: Record<string, T> = {};
      for (const [key, entry] of Object.entries(received)) out[key] = value.parse(entry, `${path}.${key}`, code);
      return out;
    },
  };
}

/** Marks a field of an object as optional (it may be absent; `undefined` counts as absent). */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> & { readonly isOptional: true } {
  return { ...schema, isOptional: true, parse: (value, path, code) => (value === undefined ? undefined : schema.parse(value, path, code)) };
}

/** `schema` or null. */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  const expected = `${schema.expected} or null`;
  return {
    kind: "nullable",
    expected,
    parse(value, path, code) {
      if (value === null) return null;
      try {
        return schema.parse(value, path, code);
      } catch (error) {
        // Nested fields keep their own precise message; only the top level mentions null.
        if (error instanceof PortraitError && error.data?.path !== path) throw error;
        throw schemaError(expected, path, value, code);
      }
    },
  };
}

/** An object schema; it also exposes its shape so other schemas can extend it. */
export interface ObjectSchema<S extends Shape> extends Schema<InferShape<S>> {
  readonly shape: S;
}

interface ObjectOptions<T> {
  /** A check across fields, run after each field is valid; throw with {@link schemaError}. */
  readonly check?: (value: T, path: string, code: ErrorCode) => void;
}

/**
 * A strict object: every field of `shape` is checked and unknown fields are refused.
 * @example const point = object({ x: integer(), y: integer(), label: optional(string()) });
 */
export function object<S extends Shape>(shape: S, options: ObjectOptions<InferShape<S>> = {}): ObjectSchema<S> {
  const keys = Object.keys(shape);
  return {
    kind: "object",
    expected: "an object",
    shape,
    parse(value, path, code) {
      if (!isPlainObject(value)) throw schemaError("an object", path, value, code);
      for (const key of Object.keys(value)) {
        if (!Object.prototype.hasOwnProperty.call(shape, key)) {
          throw schemaError(`no such field (known: ${keys.join(", ")})`, `${path}.${key}`, value[key], code);
        }
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const parsed = shape[key].parse(value[key], `${path}.${key}`, code);
        if (parsed !== undefined) out[key] = parsed;
      }
      options.check?.(out as InferShape<S>, path, code);
      return out as InferShape<S>;
    },
  };
}

type TaggedShape<K extends string, Tag extends string> = Shape & { [P in K]: Schema<Tag> };
type UnionMembers<K extends string> = { [Tag in string]: ObjectSchema<TaggedShape<K, Tag>> };

interface UnionOptions {
  /**
   * Name fields after the tag rather than the given path (`submit.image.width` instead of
   * `message.image.width`): for top-level messages, whose path is best read as their type.
   */
  readonly pathFromTag?: boolean;
}

/** A union discriminated by `key` (usually "type"); each member is an object schema keyed by its tag. */
export interface UnionSchema<K extends string, M extends UnionMembers<K>> extends Schema<Infer<M[keyof M]>> {
  readonly key: K;
  readonly members: M;
}

/**
 * A discriminated union: the value's `key` field picks the member schema.
 * @example union("type", { ping: object({ type: literal("ping") }), pong: object({ type: literal("pong") }) })
 */
export function union<K extends string, M extends UnionMembers<K>>(
  key: K,
  members: M,
  options: UnionOptions = {},
): UnionSchema<K, M> {
  const tags = Object.keys(members);
  const tagExpected = `one of ${tags.map((tag) => quote(tag)).join(", ")}`;
  return {
    kind: "union",
    expected: "an object",
    key,
    members,
    parse(value, path, code) {
      if (!isPlainObject(value)) throw schemaError("an object", path, value, code);
      const tag = value[key];
      if (typeof tag !== "string" || !Object.prototype.hasOwnProperty.call(members, tag)) {
        throw schemaError(tagExpected, `${path}.${key}`, tag, code);
      }
      return members[tag].parse(value, options.pathFromTag ? tag : path, code) as Infer<M[keyof M]>;
    },
  };
}

/**
 * Converts query-string values (all strings) to what each field of `schema` expects,
 * then validates. Numbers and booleans ("1", "0", "true", "false") are converted; anything
 * unconvertible is left as a string so the error names the field and the text received.
 */
export function parseQuery<S extends Shape>(
  schema: ObjectSchema<S>,
  query: Readonly<Record<string, string | undefined>>,
  root = "query",
  code: ErrorCode = "INVALID_OPTION",
): InferShape<S> {
  // No prototype: a key like "__proto__" stays a key, and is then refused as unknown.
  const converted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, text] of Object.entries(query)) {
    if (text === undefined) continue;
    const field = Object.prototype.hasOwnProperty.call(schema.shape, key) ? (schema.shape[key] as Schema<unknown>) : undefined;
    converted[key] = field === undefined ? text : convertQueryValue(field.kind, text);
  }
  return schema.parse(converted, root, code);
}

const PLAIN_DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

function convertQueryValue(kind: SchemaKind, text: string): unknown {
  if (kind === "integer" || kind === "number") {
    // Plain decimals only: Number() would also take "0x2", "2e0" and "Infinity".
    return PLAIN_DECIMAL.test(text) ? Number(text) : text;
  }
  if (kind === "boolean") {
    if (text === "1" || text === "true") return true;
    if (text === "0" || text === "false") return false;
  }
  return text;
}

function inRange(value: number, { min, max }: RangeOptions): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function quote(value: string | number | boolean): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}

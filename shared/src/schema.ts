/**
 * The protocol's schemas, built on valibot (which runs in Node and in UXP): each schema here
 * wraps a valibot schema with the words that describe a valid value, and through {@link Infer}
 * gives its TypeScript type, so a message is described once and checked on both ends.
 *
 * Every failure is a PortraitError with the one template
 * "Expected X for Y but received Z", where Y is the field's path (`submit.overrides.creativity`).
 * Objects are strict: unknown fields are refused so typos surface instead of being ignored.
 */
import * as v from "valibot";
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
  /** The valibot schema that does the checking; its issue messages are `expected` texts. */
  readonly valibot: v.GenericSchema<unknown, T>;
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

/** The fields of an object schema, by name. */
export type Shape = Record<string, Schema<unknown>>;
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
  return v.is(schema.valibot, value);
}

/** A schema whose `parse` runs `valibot` and turns its first issue into the one message template. */
function wrap<T>(kind: SchemaKind, expected: string, valibot: v.GenericSchema<unknown, T>): Schema<T> {
  return { kind, expected, valibot, parse: (value, path, code) => run(valibot, value, path, code) };
}

function run<T>(valibot: v.GenericSchema<unknown, T>, value: unknown, path: string, code: ErrorCode): T {
  const result = v.safeParse(valibot, value, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  let fieldPath = path;
  let received: unknown = issue.input;
  for (const item of issue.path ?? []) {
    // An empty root names top-level fields bare (`port`, not `.port`): for files whose fields are the whole story.
    fieldPath += typeof item.key === "number" ? `[${item.key}]` : fieldPath === "" ? String(item.key) : `.${String(item.key)}`;
    // An unknown field's issue is about its name; the message quotes its value.
    if ("origin" in item && item.origin === "key") received = item.value;
  }
  throw schemaError(issue.message, fieldPath, received, code);
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

/** An object schema; it also exposes its shape so other schemas can extend it. */
export interface ObjectSchema<S extends Shape> extends Schema<InferShape<S>> {
  readonly shape: S;
  /** The strict valibot object alone, for valibot's discriminated unions (which need its entries). */
  readonly strictObject: v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>;
  /** The cross-field check, run after the fields are valid. */
  check?(value: InferShape<S>, path: string, code: ErrorCode): void;
}

interface ObjectOptions<T> {
  /** A check across fields, run after each field is valid; throw with {@link schemaError}. */
  readonly check?: (value: T, path: string, code: ErrorCode) => void;
  /**
   * `refuse` (the default) makes an unknown field an error; `drop` leaves unknown fields out of
   * the result, for files that other modules extend (the model manifest gains fields per model).
   */
  readonly unknownFields?: "refuse" | "drop";
}

/**
 * A strict object: every field of `shape` is checked and unknown fields are refused (or, with
 * `unknownFields: "drop"`, left out). Fields that are absent or `undefined` are left out of the result.
 * @example const point = object({ x: integer(), y: integer(), label: optional(string()) });
 */
export function object<S extends Shape>(shape: S, options: ObjectOptions<InferShape<S>> = {}): ObjectSchema<S> {
  const keys = Object.keys(shape);
  const unknownField = `no such field (known: ${keys.join(", ")})`;
  const entries = Object.fromEntries(keys.map((key) => [key, shape[key].valibot]));
  // One message function for valibot's three object issues: not an object, an unknown field, a missing one.
  const describe = (issue: v.BaseIssue<unknown>): string => {
    if (issue.expected === "never") return unknownField;
    const missing = issue.path?.[0]?.key;
    return typeof missing === "string" && missing in shape ? shape[missing].expected : "an object";
  };
  const strict = v.strictObject(entries, describe);
  // Unknown fields are reported before missing or wrong ones, as a typo is the likelier cause of both.
  const knownFieldsOnly = v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
    const input = dataset.value as Record<string, unknown>;
    const key = Object.keys(input).find((name) => !Object.prototype.hasOwnProperty.call(shape, name));
    if (key !== undefined) addIssue({ message: unknownField, input: input[key], path: [{ type: "object", origin: "value", input, key, value: input[key] }] });
  });
  const check = crossFieldCheck(() => options.check);
  const checked =
    options.unknownFields === "drop"
      ? v.pipe(plainObject(), v.object(entries, describe), v.transform(withoutUndefined), check)
      : v.pipe(plainObject(), knownFieldsOnly, strict, v.transform(withoutUndefined), check);
  return {
    ...wrap("object", "an object", checked as unknown as v.GenericSchema<unknown, InferShape<S>>),
    shape,
    strictObject: strict,
    ...(options.check ? { check: options.check } : {}),
  };
}

/** Where a cross-field check's error starts its path, so the rest can become valibot path items. */
const CHECK_ROOT = "\u0000";

/** Runs an object's cross-field `check` inside valibot, its error becoming an issue at the field it names. */
function crossFieldCheck<T>(checkFor: (value: Record<string, unknown>) => ObjectOptions<T>["check"]) {
  return v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
    const check = dataset.typed ? checkFor(dataset.value) : undefined;
    if (check === undefined) return;
    try {
      check(dataset.value as T, CHECK_ROOT, "MESSAGE_INVALID");
    } catch (error) {
      if (!(error instanceof PortraitError) || typeof error.data?.path !== "string") throw error;
      let input: unknown = dataset.value;
      const path: (v.ObjectPathItem | v.ArrayPathItem)[] = [];
      for (const [, key, index] of error.data.path.slice(CHECK_ROOT.length).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
        if (index !== undefined) {
          const list = input as unknown[];
          input = list?.[Number(index)];
          path.push({ type: "array", origin: "value", input: list, key: Number(index), value: input });
        } else {
          const holder = input as Record<string, unknown>;
          input = holder?.[key];
          path.push({ type: "object", origin: "value", input: holder, key, value: input });
        }
      }
      addIssue({ message: String(error.data.expected), input, ...(path.length > 0 ? { path: path as [v.IssuePathItem, ...v.IssuePathItem[]] } : {}) });
    }
  });
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
  const variant = v.variant(key, tags.map((tag) => members[tag].strictObject) as unknown as v.VariantOptions<K>, tagExpected);
  const memberCheck = (value: Record<string, unknown>) => members[value[key] as string]?.check as ObjectOptions<unknown>["check"];
  const valibot = v.pipe(
    plainObject(),
    variant as unknown as v.GenericSchema<Record<string, unknown>, Record<string, unknown>>,
    v.transform(withoutUndefined),
    crossFieldCheck(memberCheck),
  ) as unknown as v.GenericSchema<unknown, Infer<M[keyof M]>>;
  return {
    kind: "union",
    expected: "an object",
    key,
    members,
    valibot,
    parse(value, path, code) {
      const tag = isPlainObject(value) ? value[key] : undefined;
      const known = typeof tag === "string" && Object.prototype.hasOwnProperty.call(members, tag);
      return run(valibot, value, options.pathFromTag && known ? tag : path, code);
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

/** Objects, but not arrays (valibot's object checks accept arrays). */
function plainObject() {
  return v.custom<Record<string, unknown>>(isPlainObject, "an object");
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

function inRange(value: number, { min, max, above }: RangeOptions): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max) && (above === undefined || value > above);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function quote(value: string | number | boolean): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}

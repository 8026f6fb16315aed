/**
 * Object schemas: strict objects with cross-field checks, discriminated unions of them, and
 * query strings parsed against an object's fields.
 */
import * as v from "valibot";
import { PortraitError, type ErrorCode } from "./errors";
import {
  type Infer,
  type InferShape,
  type Schema,
  type SchemaKind,
  type Shape,
  isPlainObject,
  plainObject,
  quote,
  run,
  wrap,
} from "./schema-core";

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

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key];
  return value;
}

/**
 * The schemas' core: the {@link Schema} interface and the types derived from it, the one
 * error template, and the wrapper that turns a valibot schema into a {@link Schema}. The
 * schema builders are in ./schema (values) and ./schema-objects (objects, unions, queries).
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
export function wrap<T>(kind: SchemaKind, expected: string, valibot: v.GenericSchema<unknown, T>): Schema<T> {
  return { kind, expected, valibot, parse: (value, path, code) => run(valibot, value, path, code) };
}

/** Runs `valibot` on `value`; its first issue becomes the one message template, naming the field under `path`. */
export function run<T>(valibot: v.GenericSchema<unknown, T>, value: unknown, path: string, code: ErrorCode): T {
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

/** Objects, but not arrays (valibot's object checks accept arrays). */
export function plainObject() {
  return v.custom<Record<string, unknown>>(isPlainObject, "an object");
}

/** Objects, not arrays and not null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: strings in double quotes. */
export function quote(value: string | number | boolean): string {
  return typeof value === "string" ? `"${value}"` : String(value);
}

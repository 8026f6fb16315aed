/**
 * Field schemas several protocol modules use; internal: protocol.ts does not export them.
 */
import { ERROR_CODES, type ErrorCode } from "./errors";
import { array, integer, number, oneOf, string } from "./schema";

export const unitInterval = number({ min: 0, max: 1 });
export const dimension = integer({ min: 1, max: 300_000 });
export const errorCodeSchema = oneOf(Object.keys(ERROR_CODES) as ErrorCode[]);
/** A feature name: any kebab-case word, so a client may ask for features this daemon has never heard of. */
export const featureNamesSchema = array(string({ pattern: /^[a-z][a-z0-9-]{0,31}$/, expected: "a kebab-case feature name" }), { maxItems: 16 });

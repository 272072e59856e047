import { DecodeError, EncodeError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "../internal/base64.ts";

/** DynamoDB's typed JSON value, as the wire carries it. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

/** A DynamoDB item in wire form: attribute name to typed value. */
export type Item = Record<string, AttributeValue>;

/** Plain values we marshal: strings, finite numbers, bigints, booleans, null, bytes, arrays, objects, Sets. */
export type NativeValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | NativeValue[]
  | { [key: string]: NativeValue | undefined }
  | Set<string>
  | Set<number>;

/**
 * Convert one plain value. `undefined` object fields are left out (as with the SDK's
 * `removeUndefinedValues`); an `undefined` at the top or inside a list is a mistake and throws.
 */
export function marshallValue(value: NativeValue): AttributeValue {
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new EncodeError(`DynamoDB cannot store the number ${value}`);
    return { N: String(value) };
  }
  if (typeof value === "bigint") return { N: value.toString() };
  if (typeof value === "boolean") return { BOOL: value };
  if (value === null) return { NULL: true };
  if (value instanceof Uint8Array) return { B: encodeBase64(value) };
  if (Array.isArray(value)) return { L: value.map(marshallValue) };
  if (value instanceof Set) return marshallSet(value);
  if (typeof value === "object") return { M: marshallItem(value) };
  throw new EncodeError(`DynamoDB cannot store a value of type ${typeof value}`);
}

function marshallSet(set: Set<string> | Set<number>): AttributeValue {
  const values = [...set] as Array<string | number>;
  if (values.length === 0) throw new EncodeError("DynamoDB cannot store an empty set");
  if (values.every((v) => typeof v === "string")) return { SS: values as string[] };
  if (values.every((v) => typeof v === "number")) return { NS: values.map(String) };
  throw new EncodeError("a set must hold only strings or only numbers");
}

/**
 * Convert a plain object to wire form; `undefined` fields are left out. Throws `EncodeError` for values DynamoDB cannot store (NaN, empty or mixed
 * sets, functions).
 */
export function marshallItem(object: { [key: string]: NativeValue | undefined }): Item {
  const item: Item = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) item[key] = marshallValue(value);
  }
  return item;
}

/**
 * Convert back. Numbers come back as `number` when that is exact and as `bigint` for integers beyond
 * 2^53, so large counters and sequence-like values never lose digits.
 */
export function unmarshallValue(value: AttributeValue): NativeValue {
  if ("S" in value) return value.S;
  if ("N" in value) return parseNumber(value.N);
  if ("BOOL" in value) return value.BOOL;
  if ("NULL" in value) return null;
  if ("B" in value) return decodeBase64(value.B);
  if ("L" in value) return value.L.map(unmarshallValue);
  if ("M" in value) return unmarshallItem(value.M);
  if ("SS" in value) return new Set(value.SS);
  if ("NS" in value) {
    // A number set is a Set<number>; a member beyond 2^53 would lose digits there, so such a set
    // comes back as its exact decimal strings instead.
    const exact = value.NS.every((n) => typeof parseNumber(n) === "number");
    return exact ? new Set(value.NS.map(Number)) : new Set(value.NS);
  }
  if ("BS" in value) return value.BS.map(decodeBase64);
  throw new DecodeError(`unknown DynamoDB attribute value: ${Object.keys(value as object).join(",")}`);
}

/** Convert a wire item back to plain values; integers beyond 2^53 come back as `bigint`. Throws `DecodeError` on an unknown attribute type. */
export function unmarshallItem(item: Item): { [key: string]: NativeValue } {
  const out: { [key: string]: NativeValue } = {};
  for (const [key, value] of Object.entries(item)) out[key] = unmarshallValue(value);
  return out;
}

function parseNumber(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n) || !/^-?\d+$/.test(text)) return n;
  return BigInt(text);
}

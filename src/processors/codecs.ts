/**
 * Item <-> bytes for the processors: JSON and UTF-8 strings. Failures become typed errors so the
 * producer can report a bad item and the consumer a bad record without matching on messages.
 */
import { DecodeError, EncodeError } from "../errors.ts";
import { decodeUtf8 } from "../internal/utf8.ts";
import { encodeUtf8Pooled } from "../internal/utf8-pool.ts";

export function encodeJson(item: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(item);
  } catch (error) {
    // BigInt values and cycles throw TypeError.
    throw new EncodeError("item cannot be serialized as JSON", { cause: error });
  }
  // undefined, functions and symbols have no JSON form: stringify returns undefined for them.
  if (text === undefined) throw new EncodeError(`item of type ${typeof item} has no JSON form`);
  return encodeUtf8Pooled(text);
}

export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`${what} is not valid JSON`, { cause: error });
  }
}

export function decodeJson(bytes: Uint8Array): unknown {
  return parseJsonText(decodeUtf8(bytes), `payload (${bytes.byteLength} bytes)`);
}

export function encodeString(item: string): Uint8Array {
  if (typeof item !== "string") throw new EncodeError(`expected a string item, got ${typeof item}`);
  return encodeUtf8Pooled(item);
}

export const decodeString = decodeUtf8;

export function encodeBytes(item: Uint8Array): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new EncodeError(`expected a Uint8Array item, got ${typeof item}`);
  return item;
}

import { ConfigError } from "../errors.ts";
import { closestName } from "./closest-name.ts";

/**
 * Reject option names a schema does not know, before valibot (whose `object` drops them silently)
 * sees the input: `sesionTimeout: 5` must not quietly leave the default in place. Nested plain objects
 * that the schema describes as objects (the static `credentials`) are checked the same way.
 *
 * Schemas are looked at structurally (valibot keeps `entries` on object schemas, `wrapped` on
 * optional ones and `options` on unions), so every options schema gets this without being changed.
 */
export function rejectUnknownKeys(schema: unknown, input: object, what: string, path = ""): void {
  const entries = objectEntries(schema);
  if (entries === undefined) return;
  const known = Object.keys(entries);
  for (const key of Object.keys(input)) {
    // The AWS SDK writes its own bookkeeping (`$source`) into credentials objects handed to it; a
    // credentials object shared with the SDK must still be accepted here.
    if (path !== "" && key.startsWith("$")) continue;
    const option = `${path}${key}`;
    if (!Object.hasOwn(entries, key)) {
      const guess = closestName(key, known);
      const hint = guess === undefined ? `known options: ${known.join(", ")}` : `did you mean "${path}${guess}"?`;
      throw new ConfigError(option, `unknown option in ${what} options; ${hint}`);
    }
    const value: unknown = (input as Record<string, unknown>)[key];
    if (isPlainObject(value)) rejectUnknownKeys(entries[key], value, what, `${option}.`);
  }
}

/** The entries of an object schema, looking through `optional` and into the object member of a union. */
function objectEntries(schema: unknown): Record<string, unknown> | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const node = schema as { entries?: unknown; wrapped?: unknown; options?: unknown };
  if (typeof node.entries === "object" && node.entries !== null) return node.entries as Record<string, unknown>;
  if (node.wrapped !== undefined) return objectEntries(node.wrapped);
  if (Array.isArray(node.options)) {
    for (const option of node.options) {
      const entries = objectEntries(option);
      if (entries !== undefined) return entries;
    }
  }
  return undefined;
}

/** `{...}` literals only: class instances (a Date, a client, a clock) are not option bags. */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

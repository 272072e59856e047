import { streamRef } from "../kinesis/client.ts";
import { utf8Length } from "../internal/utf8.ts";
import type { QueuedRecord } from "./queued-record.ts";

/**
 * The PutRecords request body, written straight into one UTF-8 byte array: base64 digits go from each
 * record's bytes into the body, and partition keys are copied in, so a request makes no string per
 * record, no `JSON.stringify` pass, and nothing for the signer and the transport to encode again. The
 * result is byte for byte `JSON.stringify({ StreamName, Records: [{ Data, PartitionKey, ExplicitHashKey? }] })`.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Printable ASCII without `"` and `\`: JSON writes such a string as it is, between quotes. */
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const DATA_OPEN = '{"Data":"';
const KEY_OPEN = '","PartitionKey":';
const HASH_KEY_OPEN = ',"ExplicitHashKey":';
const QUOTE = 0x22;

/** The 64 digits' ASCII codes, and for every 12 bits the two digits as one little-endian 16-bit store. */
let digits: Uint8Array | undefined;
let digitPairs: Uint16Array | undefined;
let encoder: TextEncoder | undefined;

/** A string as a JSON string literal; most partition keys need nothing escaped, so skip the serialiser. */
export function jsonString(text: string): string {
  return PLAIN_JSON_STRING.test(text) ? `"${text}"` : JSON.stringify(text);
}

export function putRecordsBody(streamName: string, batch: readonly QueuedRecord[]): Uint8Array<ArrayBuffer> {
  encoder ??= new TextEncoder();
  const head = encoder.encode(`${JSON.stringify(streamRef(streamName)).slice(0, -1)},"Records":[`);
  // Keys that need escaping (rare) are serialised once here; undefined means "copy it between quotes".
  const escaped = new Array<string | undefined>(batch.length);
  let size = head.length + 2 + Math.max(0, batch.length - 1);
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i]!;
    const key = record.partitionKey;
    size += DATA_OPEN.length + base64Length(record.data.length) + KEY_OPEN.length + 1;
    if (PLAIN_JSON_STRING.test(key)) size += key.length + 2;
    else {
      const json = JSON.stringify(key);
      escaped[i] = json;
      size += utf8Length(json);
    }
    // Explicit hash keys are validated decimal digits.
    if (record.explicitHashKey !== undefined) size += HASH_KEY_OPEN.length + record.explicitHashKey.length + 2;
  }

  const out = new Uint8Array(size);
  out.set(head, 0);
  let o = head.length;
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i]!;
    if (i > 0) out[o++] = 0x2c; // ,
    o = writeAscii(out, o, DATA_OPEN);
    o = writeBase64(out, o, record.data);
    o = writeAscii(out, o, KEY_OPEN);
    const json = escaped[i];
    if (json === undefined) o = writeQuoted(out, o, record.partitionKey);
    else o += encoder.encodeInto(json, out.subarray(o)).written;
    if (record.explicitHashKey !== undefined) {
      o = writeAscii(out, o, HASH_KEY_OPEN);
      o = writeQuoted(out, o, record.explicitHashKey);
    }
    out[o++] = 0x7d; // }
  }
  out[o++] = 0x5d; // ]
  out[o++] = 0x7d; // }
  return out;
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Copy a string of ASCII characters (the caller knows it is ASCII). */
function writeAscii(out: Uint8Array, o: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
  return o;
}

function writeQuoted(out: Uint8Array, o: number, text: string): number {
  out[o++] = QUOTE;
  o = writeAscii(out, o, text);
  out[o++] = QUOTE;
  return o;
}

/** Standard base64 (with padding) of `bytes`, written at `o`; returns the end. */
function writeBase64(out: Uint8Array, o: number, bytes: Uint8Array): number {
  const codes = (digits ??= Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0)));
  const pairs = (digitPairs ??= buildDigitPairs(codes));
  const length = bytes.length;
  const full = length - (length % 3);
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    const high = pairs[n >> 12]!;
    const low = pairs[n & 4095]!;
    out[o] = high & 255;
    out[o + 1] = high >> 8;
    out[o + 2] = low & 255;
    out[o + 3] = low >> 8;
    o += 4;
  }
  const rest = length - full;
  if (rest > 0) {
    const n = (bytes[full]! << 16) | (rest === 2 ? bytes[full + 1]! << 8 : 0);
    out[o] = codes[n >> 18]!;
    out[o + 1] = codes[(n >> 12) & 63]!;
    out[o + 2] = rest === 2 ? codes[(n >> 6) & 63]! : 0x3d; // =
    out[o + 3] = 0x3d;
    o += 4;
  }
  return o;
}

function buildDigitPairs(codes: Uint8Array): Uint16Array {
  const pairs = new Uint16Array(4096);
  for (let n = 0; n < 4096; n++) pairs[n] = codes[n >> 6]! | (codes[n & 63]! << 8);
  return pairs;
}

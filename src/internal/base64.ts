/**
 * Base64 for `Uint8Array` without `Buffer`. Kinesis carries every record's data as base64, so both
 * directions are on the hot path: lookup tables, no per-byte string concatenation for large inputs.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

let encodeTable: string[] | undefined;
let decodeTable: Int16Array | undefined;

function pairTable(): string[] {
  // Two 6-bit digits per entry: one lookup per 12 bits halves the table walks.
  if (encodeTable === undefined) {
    encodeTable = new Array<string>(4096);
    for (let i = 0; i < 4096; i++) encodeTable[i] = ALPHABET[i >> 6]! + ALPHABET[i & 63]!;
  }
  return encodeTable;
}

function reverseTable(): Int16Array {
  if (decodeTable === undefined) {
    decodeTable = new Int16Array(256).fill(-1);
    for (let i = 0; i < 64; i++) decodeTable[ALPHABET.charCodeAt(i)] = i;
    // Accept the URL-safe alphabet too; some tools emit it.
    decodeTable["-".charCodeAt(0)] = 62;
    decodeTable["_".charCodeAt(0)] = 63;
  }
  return decodeTable;
}

export function encodeBase64(bytes: Uint8Array): string {
  const pairs = pairTable();
  const full = bytes.length - (bytes.length % 3);
  const chunks: string[] = [];
  let out = "";
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += pairs[n >> 12]! + pairs[n & 4095]!;
    // Keep strings short enough that engines do not build deep rope trees.
    if (out.length >= 8192) {
      chunks.push(out);
      out = "";
    }
  }
  const rest = bytes.length - full;
  if (rest === 1) {
    const n = bytes[full]! << 16;
    out += pairs[n >> 12]! + "==";
  } else if (rest === 2) {
    const n = (bytes[full]! << 16) | (bytes[full + 1]! << 8);
    out += pairs[n >> 12]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  if (chunks.length === 0) return out;
  chunks.push(out);
  return chunks.join("");
}

export function decodeBase64(text: string): Uint8Array {
  const table = reverseTable();
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const out = new Uint8Array((end * 3) >> 2);
  const quads = end - (end % 4);
  let o = 0;
  for (let i = 0; i < quads; i += 4) {
    const a = digit(table, text, i);
    const b = digit(table, text, i + 1);
    const c = digit(table, text, i + 2);
    const d = digit(table, text, i + 3);
    if ((a | b | c | d) < 0) return decodeSlow(text);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = end - quads;
  if (rest === 1) return decodeSlow(text);
  if (rest >= 2) {
    const a = digit(table, text, quads);
    const b = digit(table, text, quads + 1);
    const c = rest === 3 ? digit(table, text, quads + 2) : 0;
    if ((a | b | c) < 0) return decodeSlow(text);
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 255;
  }
  return out;
}

function digit(table: Int16Array, text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 256 ? table[code]! : -1;
}

/** Tolerates whitespace (hand-written fixtures); rejects anything else that is not base64. */
function decodeSlow(text: string): Uint8Array {
  const table = reverseTable();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 61 /* = */) {
      // Padding ends the data: anything after it but more padding or whitespace would be silently lost.
      for (let j = i + 1; j < text.length; j++) {
        const after = text.charCodeAt(j);
        if (after !== 61 && after !== 10 && after !== 13 && after !== 32 && after !== 9) {
          throw new TypeError(`invalid base64 character at offset ${j}`);
        }
      }
      break;
    }
    const value = code < 256 ? table[code]! : -1;
    if (value < 0) {
      if (code === 10 || code === 13 || code === 32 || code === 9) continue;
      throw new TypeError(`invalid base64 character at offset ${i}`);
    }
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 255);
    }
  }
  if (bits >= 6) throw new TypeError("invalid base64 length");
  return Uint8Array.from(out);
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function utf8Encode(text: string): Uint8Array {
  return textEncoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

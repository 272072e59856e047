/**
 * Base64 for `Uint8Array` with Web APIs only (no Node buffers). Kinesis carries every record's data as base64, so both
 * directions are on the hot path.
 *
 * Where the runtime has the standard `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64`
 * (Deno, Bun, current browsers and workerd, Node 25+) those native versions do the work. Elsewhere
 * (Node 20–24) the portable code below does: small inputs by string concatenation of two-digit
 * pairs, larger ones by writing ASCII codes into a typed array that one `TextDecoder` call turns
 * into a string (concatenation builds rope strings whose flattening made 1 MiB ~50× slower).
 */
import { DecodeError } from "../errors.ts";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Below this many bytes concatenation beats the fixed cost of a TextDecoder call (measured, bench/). */
const SMALL_ENCODE_BYTES = 128;
/** Marks a char code that is not a base64 digit in the decode table; every digit is <= 63. */
const INVALID = 255;
/** `decodeBase64Shared` carves results up to SLAB_MAX_RESULT_BYTES out of slabs of SLAB_BYTES. */
const SLAB_BYTES = 8192;
const SLAB_MAX_RESULT_BYTES = 4096;

/** Turns the encoder's ASCII output into a string; made on first use (nothing runs at import). */
let asciiDecoder: TextDecoder | undefined;

export interface NativeBase64 {
  encode(bytes: Uint8Array): string;
  /** Bytes of well-formed base64, or undefined to let the portable decoder explain what is wrong. */
  decode(text: string): Uint8Array | undefined;
  /** Like `decode`, but the result may share its buffer with others (see `decodeBase64Shared`). */
  decodeShared?(text: string): Uint8Array | undefined;
}

let native: NativeBase64 | null | undefined;
let pairStrings: string[] | undefined;
let pairCodes: Uint16Array | undefined;
let decodeTable: Uint8Array | undefined;
let slab: Uint8Array | undefined;
let slabUsed = 0;

/**
 * Use `implementation` as the native base64 (the Node build registers one over Node's buffers, which
 * Node 20–24 have where they lack `Uint8Array.fromBase64`); `undefined` goes back to looking it up.
 */
export function setNativeBase64(implementation: NativeBase64 | undefined): void {
  native = implementation;
}

/** Looked up on first use, not at import: nothing runs at import time. */
function nativeBase64(): NativeBase64 | null {
  if (native === undefined) {
    const ctor = Uint8Array as unknown as {
      fromBase64?: (text: string) => Uint8Array;
      prototype: { toBase64?: (this: Uint8Array) => string };
    };
    const toBase64 = ctor.prototype.toBase64;
    const fromBase64 = ctor.fromBase64;
    native = typeof toBase64 === "function" && typeof fromBase64 === "function"
      ? { encode: (bytes) => toBase64.call(bytes), decode: (text) => fromBase64.call(Uint8Array, text) }
      : null;
  }
  return native;
}

export function encodeBase64(bytes: Uint8Array): string {
  const fast = native === undefined ? nativeBase64() : native;
  return fast === null ? encodeBase64Portable(bytes) : fast.encode(bytes);
}

export function decodeBase64(text: string): Uint8Array {
  const fast = native === undefined ? nativeBase64() : native;
  if (fast !== null) {
    try {
      const bytes = fast.decode(text);
      if (bytes !== undefined) return bytes;
    } catch {
      // The native decoder rejects the URL-safe alphabet, which we accept; and for truly invalid
      // input the portable decoder throws the same DecodeError (with an offset) on every runtime.
    }
  }
  return decodeBase64Portable(text);
}

/**
 * Like `decodeBase64`, but a small result may be a view into a slab shared with other results (as
 * a Node buffer decoded from base64 is, and so the AWS SDK's record data): `result.buffer` is then
 * not the result alone, and keeping one result keeps its slab (at most SLAB_BYTES) alive. In exchange
 * a batch of small records costs one allocation per slab instead of one per record: on Node 20,
 * decoding the 10,000 × 100-byte records of a GetRecords answer fell from ~6.4 to ~2.8 CPU-ms
 * (bench/base64.ts; Node buffers: ~1.9). Meant for hot paths that hand out record data; use
 * `decodeBase64` where the caller may rely on `.buffer`.
 */
export function decodeBase64Shared(text: string): Uint8Array {
  const fast = native === undefined ? nativeBase64() : native;
  if (fast === null) return decodePortable(text, true);
  if (fast.decodeShared !== undefined) {
    const bytes = fast.decodeShared(text);
    if (bytes !== undefined) return bytes;
  }
  return decodeBase64(text);
}

/** The implementation used where the runtime has no native base64; exported for tests and bench. */
export function encodeBase64Portable(bytes: Uint8Array): string {
  return bytes.length < SMALL_ENCODE_BYTES ? encodeSmall(bytes) : encodeLarge(bytes);
}

function encodeSmall(bytes: Uint8Array): string {
  const pairs = (pairStrings ??= buildPairStrings());
  const full = bytes.length - (bytes.length % 3);
  let out = "";
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += pairs[n >> 12]! + pairs[n & 4095]!;
  }
  const rest = bytes.length - full;
  if (rest === 1) {
    out += pairs[bytes[full]! << 4]! + "==";
  } else if (rest === 2) {
    const n = (bytes[full]! << 16) | (bytes[full + 1]! << 8);
    out += pairs[n >> 12]! + ALPHABET[(n >> 6) & 63]! + "=";
  }
  return out;
}

function encodeLarge(bytes: Uint8Array): string {
  const codes = (pairCodes ??= buildPairCodes());
  const length = bytes.length;
  const full = length - (length % 3);
  const out = new Uint8Array(Math.ceil(length / 3) * 4);
  // Each 12 bits become two ASCII codes, written as one 16-bit store.
  const pairs = new Uint16Array(out.buffer, 0, (full / 3) * 2);
  let p = 0;
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    pairs[p++] = codes[n >> 12]!;
    pairs[p++] = codes[n & 4095]!;
  }
  const rest = length - full;
  if (rest > 0) {
    const o = p * 2;
    const n = (bytes[full]! << 16) | (rest === 2 ? bytes[full + 1]! << 8 : 0);
    out[o] = ALPHABET.charCodeAt(n >> 18);
    out[o + 1] = ALPHABET.charCodeAt((n >> 12) & 63);
    out[o + 2] = rest === 2 ? ALPHABET.charCodeAt((n >> 6) & 63) : 61; /* = */
    out[o + 3] = 61;
  }
  asciiDecoder ??= new TextDecoder();
  return asciiDecoder.decode(out);
}

export function decodeBase64Portable(text: string): Uint8Array {
  return decodePortable(text, false);
}

/** Strict fast path for well-formed input; anything unusual goes to `decodeSlow`, which explains it. */
function decodePortable(text: string, shared: boolean): Uint8Array {
  const table = (decodeTable ??= buildDecodeTable());
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const size = (end * 3) >> 2;
  const out = shared && size <= SLAB_MAX_RESULT_BYTES ? fromSlab(size) : new Uint8Array(size);
  const quads = end - (end % 4);
  let o = 0;
  for (let i = 0; i < quads; i += 4) {
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = text.charCodeAt(i + 2);
    const cd = text.charCodeAt(i + 3);
    if ((ca | cb | cc | cd) > 255) return decodeSlow(text, table);
    const a = table[ca]!;
    const b = table[cb]!;
    const c = table[cc]!;
    const d = table[cd]!;
    if ((a | b | c | d) > 63) return decodeSlow(text, table);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = n >> 16;
    out[o + 1] = (n >> 8) & 255;
    out[o + 2] = n & 255;
    o += 3;
  }
  const rest = end - quads;
  if (rest === 1) return decodeSlow(text, table);
  if (rest >= 2) {
    const ca = text.charCodeAt(quads);
    const cb = text.charCodeAt(quads + 1);
    const cc = rest === 3 ? text.charCodeAt(quads + 2) : 65; /* A: zero bits */
    if ((ca | cb | cc) > 255) return decodeSlow(text, table);
    const a = table[ca]!;
    const b = table[cb]!;
    const c = table[cc]!;
    if ((a | b | c) > 63) return decodeSlow(text, table);
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 255;
  }
  return out;
}

/** Tolerates whitespace (hand-written fixtures); rejects anything else that is not base64. */
function decodeSlow(text: string, table: Uint8Array): Uint8Array {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 61 /* = */) {
      // Padding ends the data: anything after it but more padding or whitespace would be silently lost.
      for (let j = i + 1; j < text.length; j++) {
        const after = text.charCodeAt(j);
        if (after !== 61 && !isWhitespace(after)) throw new DecodeError(`invalid base64 character at offset ${j}`);
      }
      break;
    }
    const value = code < 256 ? table[code]! : INVALID;
    if (value === INVALID) {
      if (isWhitespace(code)) continue;
      throw new DecodeError(`invalid base64 character at offset ${i}`);
    }
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 255);
    }
  }
  if (bits >= 6) throw new DecodeError("invalid base64 length");
  return Uint8Array.from(out);
}

/** Carve `size` bytes off the current slab, starting a new slab when it is full. */
function fromSlab(size: number): Uint8Array {
  if (slab === undefined || slabUsed + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = slab.subarray(slabUsed, slabUsed + size);
  // Keep every view 8-byte aligned, as Node's buffer pool does, so wider typed views over it work.
  slabUsed += (size + 7) & ~7;
  return view;
}

/** ASCII whitespace as the standard `Uint8Array.fromBase64` skips it: tab, LF, FF, CR, space. */
function isWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9 || code === 12;
}

function buildPairStrings(): string[] {
  // Two 6-bit digits per entry: one lookup per 12 bits halves the table walks.
  const pairs = new Array<string>(4096);
  for (let i = 0; i < 4096; i++) pairs[i] = ALPHABET[i >> 6]! + ALPHABET[i & 63]!;
  return pairs;
}

function buildPairCodes(): Uint16Array {
  // The first digit must land at the lower address whatever the platform's byte order.
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const codes = new Uint16Array(4096);
  for (let i = 0; i < 4096; i++) {
    const first = ALPHABET.charCodeAt(i >> 6);
    const second = ALPHABET.charCodeAt(i & 63);
    codes[i] = littleEndian ? first | (second << 8) : (first << 8) | second;
  }
  return codes;
}

function buildDecodeTable(): Uint8Array {
  const table = new Uint8Array(256).fill(INVALID);
  for (let i = 0; i < 64; i++) table[ALPHABET.charCodeAt(i)] = i;
  // Accept the URL-safe alphabet too; some tools emit it.
  table["-".charCodeAt(0)] = 62;
  table["_".charCodeAt(0)] = 63;
  return table;
}

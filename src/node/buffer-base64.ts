/**
 * Base64 over Node's buffers, for the Node build: Node 20–24 have no `Uint8Array.fromBase64`, and
 * Buffer's native codec beats the portable one (bench/base64.ts). Buffer decoding is lenient — it
 * skips characters that are not base64 — so a result shorter than well-formed input would give is
 * refused (undefined) and the portable decoder reports the bad character, as on every other runtime.
 */
import { Buffer } from "node:buffer";
import type { NativeBase64 } from "../internal/base64.ts";

/** Bytes that well-formed base64 of this length decodes to, or -1 for a length no base64 has. */
function expectedLength(text: string): number {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) return -1;
  return (end * 3) >> 2;
}

function decodeToBuffer(text: string): Buffer | undefined {
  const expected = expectedLength(text);
  if (expected < 0) return undefined;
  const buffer = Buffer.from(text, "base64");
  return buffer.length === expected ? buffer : undefined;
}

export const bufferBase64: NativeBase64 = {
  encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
  decode: (text) => {
    const buffer = decodeToBuffer(text);
    if (buffer === undefined) return undefined;
    // A small Buffer is a view into a shared pool; `decodeBase64` promises a result that owns its buffer.
    const whole = buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length;
    return whole ? new Uint8Array(buffer.buffer, 0, buffer.length) : new Uint8Array(buffer);
  },
  decodeShared: (text) => {
    const buffer = decodeToBuffer(text);
    return buffer === undefined ? undefined : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  },
};

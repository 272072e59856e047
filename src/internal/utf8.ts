/**
 * UTF-8 both ways with Web APIs only (no Node buffers). The coders are created on first use (nothing runs at import).
 * Decoding keeps a leading U+FEFF: a string that starts with a BOM must round-trip unchanged.
 */
import { DecodeError } from "../errors.ts";

let encoder: TextEncoder | undefined;
let strictDecoder: TextDecoder | undefined;
let lenientDecoder: TextDecoder | undefined;

export function encodeUtf8(text: string): Uint8Array {
  encoder ??= new TextEncoder();
  return encoder.encode(text);
}

/** Bytes `text` takes in UTF-8, without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        i++;
      } else {
        length += 3;
      }
    } else length += 3;
  }
  return length;
}

/** Decodes UTF-8, throwing `DecodeError` on invalid bytes (as Python's `bytes.decode()` does). */
export function decodeUtf8(bytes: Uint8Array): string {
  strictDecoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    return strictDecoder.decode(bytes);
  } catch (error) {
    throw new DecodeError(`payload is not valid UTF-8 (${bytes.byteLength} bytes)`, { cause: error });
  }
}

/** Decodes UTF-8, replacing invalid bytes with U+FFFD. */
export function decodeUtf8Lenient(bytes: Uint8Array): string {
  lenientDecoder ??= new TextDecoder("utf-8", { ignoreBOM: true });
  return lenientDecoder.decode(bytes);
}

import { decodeBase64 } from "./base64.ts";

/**
 * Base64 to a "binary string" (one char per byte, codes 0-255), through the platform's `atob`, which
 * every target runtime implements natively. For the consumer's hot path this beats decoding to bytes:
 * a pure-ASCII payload (most JSON) *is* its own text, so it goes to `JSON.parse` with no byte array
 * and no UTF-8 decoder in between.
 */
export function base64ToBinary(text: string): string {
  const decode = globalThis.atob;
  if (typeof decode === "function") {
    try {
      return decode(text);
    } catch {
      // atob rejects what our decoder accepts (the URL-safe alphabet); and for invalid input the
      // portable decoder throws the same DecodeError on every runtime.
    }
  }
  return bytesToBinary(decodeBase64(text));
}

// Control characters are ASCII too: the range is meant to include them.
// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** Whether every char is below 0x80: then the binary string equals the UTF-8 text it encodes. */
export function isAsciiBinary(binary: string): boolean {
  return ASCII.test(binary);
}

export function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBinary(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}

/**
 * Runs inside Deno or Bun (both have the standard Uint8Array.toBase64/fromBase64, so
 * src/internal/base64.ts takes its native path there) and prints, as one JSON line, what
 * encodeBase64/decodeBase64/decodeBase64Shared return or throw for the shared cases. test/base64-runtimes.test.ts compares
 * that with the portable implementation on Node.
 */
import { decodeBase64, decodeBase64Shared, encodeBase64 } from "../../src/internal/base64.ts";
import { BASE64_DECODE_CASES, BASE64_ENCODE_LENGTHS, base64CaseBytes, type Base64Outcome } from "./base64-cases.ts";

const nativeAvailable = typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 === "function" &&
  typeof (Uint8Array.prototype as unknown as { toBase64?: unknown }).toBase64 === "function";

const encoded = BASE64_ENCODE_LENGTHS.map((length) => encodeBase64(base64CaseBytes(length)));
function outcome(decode: (text: string) => Uint8Array, text: string): Base64Outcome {
  try {
    return { bytes: Array.from(decode(text)) };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}
const decoded = BASE64_DECODE_CASES.map((text) => outcome(decodeBase64, text));
const sharedDecoded = BASE64_DECODE_CASES.map((text) => outcome(decodeBase64Shared, text));
console.log(JSON.stringify({ nativeAvailable, encoded, decoded, sharedDecoded }));

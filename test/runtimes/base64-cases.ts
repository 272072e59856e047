/** Inputs shared by test/runtimes/base64-check.ts (Deno, Bun) and test/base64-runtimes.test.ts (Node). */

/** Lengths around the portable encoder's small/large switch, plus one large input. */
export const BASE64_ENCODE_LENGTHS: number[] = [...Array.from({ length: 300 }, (_, i) => i), 65_537];

/** Well-formed, unpadded, URL-safe, whitespace-laden and malformed inputs. */
export const BASE64_DECODE_CASES: string[] = [
  "",
  "Zm9vYmFy",
  "Zm9vYg==",
  "Zm9vYg",
  "Zm9vYmE=",
  "Zm9vYmE",
  "-_-_",
  "+/+/",
  "Zm9v\nYmFy\r\n",
  " aGVs bG8=\n",
  "aGVs\fbG8=",
  "YQ=",
  "YQ==\n",
  "YR==",
  "YQ==YQ==",
  "YQ=a",
  "aGV*bG8=",
  "aGVsbG8ä",
  "ŁŁŁŁ",
  "!!!!",
  "A",
  "aGVsb",
];

export type Base64Outcome = { bytes: number[] } | { error: string };

/** Deterministic bytes covering all 256 values. */
export function base64CaseBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = (length * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 255;
  }
  return out;
}

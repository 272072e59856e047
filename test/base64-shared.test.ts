import { describe, expect, it } from "vitest";
import { decodeBase64, decodeBase64Shared, encodeBase64 } from "../src/internal/base64.ts";
import { BASE64_DECODE_CASES, base64CaseBytes } from "./runtimes/base64-cases.ts";

/** What decodeBase64 would say for `text`: bytes, or the error's name and message. */
function outcome(decode: (text: string) => Uint8Array, text: string): unknown {
  try {
    return Array.from(decode(text));
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

describe("decodeBase64Shared", () => {
  it("returns the same bytes and throws the same errors as decodeBase64", () => {
    for (const text of BASE64_DECODE_CASES) expect(outcome(decodeBase64Shared, text)).toEqual(outcome(decodeBase64, text));
    for (const length of [0, 1, 2, 3, 99, 100, 4095, 4096, 4097, 8192, 100_000]) {
      const bytes = base64CaseBytes(length);
      expect(decodeBase64Shared(encodeBase64(bytes))).toEqual(bytes);
    }
  });

  it("keeps every earlier result intact while later ones fill and replace slabs", () => {
    const inputs = Array.from({ length: 2000 }, (_, i) => base64CaseBytes(1 + ((i * 37) % 300)));
    const results = inputs.map((bytes) => decodeBase64Shared(encodeBase64(bytes)));
    results.forEach((result, i) => {
      if (result.length !== inputs[i]!.length || !result.every((b, j) => b === inputs[i]![j])) expect.fail(`result ${i} was overwritten`);
    });
  });

  it("on Node (no native base64) carves small results from one 8-byte-aligned slab and gives large ones their own buffer", () => {
    const a = decodeBase64Shared(encodeBase64(base64CaseBytes(100)));
    const b = decodeBase64Shared(encodeBase64(base64CaseBytes(100)));
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset % 8).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + a.length);
    const big = decodeBase64Shared(encodeBase64(base64CaseBytes(4097)));
    expect(big.buffer.byteLength).toBe(4097);
  });

  it("decodeBase64 (the public function) always returns a result that owns its buffer", () => {
    const small = decodeBase64(encodeBase64(base64CaseBytes(100)));
    expect(small.byteOffset).toBe(0);
    expect(small.buffer.byteLength).toBe(100);
  });
});

import { describe, expect, it } from "vitest";
import { encodeUtf8Pooled } from "../src/internal/utf8-pool.ts";

const reference = new TextEncoder();

describe("encodeUtf8Pooled (small strings share a slab)", () => {
  it("encodes exactly as TextEncoder does: ASCII, multi-byte, astral, lone surrogates, empty, long", () => {
    const texts = ["", "plain ascii", "ünïcödé ✓", "😀 astral", "lone \ud800 surrogate", "x".repeat(1024), "é".repeat(1025), "y".repeat(50_000)];
    for (const text of texts) expect(Array.from(encodeUtf8Pooled(text))).toEqual(Array.from(reference.encode(text)));
  });

  it("a result stays intact while many later strings fill and replace slabs", () => {
    const kept = Array.from(
      { length: 2000 },
      (_, i) => ({ text: `{"id":${i},"name":"naïve-${i}"}`, bytes: encodeUtf8Pooled(`{"id":${i},"name":"naïve-${i}"}`) }),
    );
    for (const { text, bytes } of kept) expect(new TextDecoder().decode(bytes)).toBe(text);
    // Results of one slab do not overlap: each view ends where the next begins, or in another slab.
    const shared = kept.filter((k, i) => i > 0 && k.bytes.buffer === kept[i - 1]!.bytes.buffer);
    expect(shared.length).toBeGreaterThan(1000);
    for (let i = 1; i < kept.length; i++) {
      const previous = kept[i - 1]!.bytes;
      const current = kept[i]!.bytes;
      if (current.buffer === previous.buffer) expect(current.byteOffset).toBe(previous.byteOffset + previous.byteLength);
    }
  });
});

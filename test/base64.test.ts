import { DecodeError } from "../src/errors.ts";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../src/internal/base64.ts";
import { decodeUtf8 as utf8Decode, encodeUtf8 as utf8Encode } from "../src/internal/utf8.ts";

/** Deterministic bytes so a failure names a reproducible length and content. */
function bytesFor(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 255;
  }
  return out;
}

describe("base64", () => {
  it("encodes and decodes exactly like Buffer for every length 0..3000", () => {
    for (let length = 0; length <= 3000; length++) {
      const bytes = bytesFor(length, length + 1);
      const expected = Buffer.from(bytes).toString("base64");
      const encoded = encodeBase64(bytes);
      if (encoded !== expected) expect.fail(`encode mismatch at length ${length}`);
      const decoded = decodeBase64(encoded);
      if (Buffer.compare(Buffer.from(decoded), Buffer.from(bytes)) !== 0) expect.fail(`decode mismatch at length ${length}`);
    }
  });

  it("handles inputs large enough to be chunked while encoding", () => {
    const bytes = bytesFor(1_000_003, 7);
    const encoded = encodeBase64(bytes);
    expect(encoded).toBe(Buffer.from(bytes).toString("base64"));
    expect(Buffer.from(decodeBase64(encoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("decodes input without padding", () => {
    expect([...decodeBase64("YQ")]).toEqual([97]);
    expect([...decodeBase64("YWI")]).toEqual([97, 98]);
    expect([...decodeBase64("")]).toEqual([]);
  });

  it("accepts the URL-safe alphabet", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0xfe]);
    const standard = Buffer.from(bytes).toString("base64");
    expect(standard).toMatch(/[+/]/);
    const urlSafe = standard.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect([...decodeBase64(urlSafe)]).toEqual([...bytes]);
  });

  it("tolerates whitespace and line breaks", () => {
    const bytes = bytesFor(200, 3);
    const wrapped = Buffer.from(bytes).toString("base64").replace(/(.{76})/g, "$1\r\n");
    expect([...decodeBase64(wrapped)]).toEqual([...bytes]);
    expect(utf8Decode(decodeBase64(" aGVs bG8=\n"))).toBe("hello");
  });

  it("rejects characters outside base64", () => {
    expect(() => decodeBase64("aGV*bG8=")).toThrow(DecodeError);
    expect(() => decodeBase64("aGVsbG8ä")).toThrow(DecodeError);
    expect(() => decodeBase64("!!!!")).toThrow(/invalid base64 character at offset 0/);
  });

  it("rejects data after the padding instead of dropping it", () => {
    expect(() => decodeBase64("YQ==YQ==")).toThrow(/offset 4/);
    expect(() => decodeBase64("YQ=a")).toThrow(DecodeError);
    expect([...decodeBase64("YQ==\n")]).toEqual([97]);
  });

  it("rejects a length no encoder produces (one leftover digit)", () => {
    expect(() => decodeBase64("aGVsb")).toThrow(DecodeError);
    expect(() => decodeBase64("A")).toThrow(/invalid base64 length/);
  });

  it("round-trips UTF-8 text", () => {
    const text = "héllo, мир, 世界, 🎉";
    expect(utf8Decode(decodeBase64(encodeBase64(utf8Encode(text))))).toBe(text);
    expect(encodeBase64(utf8Encode(text))).toBe(Buffer.from(text, "utf8").toString("base64"));
  });
});

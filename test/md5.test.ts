import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { md5, partitionKeyHash } from "../src/aggregation/md5.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const nodeMd5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("md5", () => {
  it("matches the RFC 1321 test suite", () => {
    const vectors: [string, string][] = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["a", "0cc175b9c0f1b6a831c399e269772661"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
      [
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "57edf4a22be3c955ac49da2e2107b67a",
      ],
    ];
    for (const [input, expected] of vectors) expect(hex(md5(utf8(input))), input).toBe(expected);
  });

  it("returns 16 bytes", () => {
    expect(md5(new Uint8Array(0))).toHaveLength(16);
  });

  it("agrees with node:crypto at every length around the padding boundaries", () => {
    const lengths = [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 193];
    for (const length of lengths) {
      const input = randomBytes(length);
      expect(hex(md5(input)), `length ${length}`).toBe(nodeMd5(input));
    }
  });

  it("agrees with node:crypto on random inputs up to 1 MiB", () => {
    for (let round = 0; round < 40; round++) {
      const length = round < 30 ? Math.floor(Math.random() * 4096) : Math.floor(Math.random() * 1024 * 1024);
      const input = randomBytes(length);
      expect(hex(md5(input)), `length ${length}`).toBe(nodeMd5(input));
    }
  });

  it("hashes only the view, not the whole underlying buffer", () => {
    const backing = randomBytes(300);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 7, 130);
    expect(hex(md5(view))).toBe(nodeMd5(Buffer.from(view)));
  });

  it("does not modify its input", () => {
    const input = randomBytes(100);
    const copy = Buffer.from(input);
    md5(input);
    expect(Buffer.from(input).equals(copy)).toBe(true);
  });
});

describe("partitionKeyHash", () => {
  it("is the big-endian 128-bit integer of the MD5 of the key's UTF-8 bytes", () => {
    for (const key of ["pk-a", "", "ключ-🔑", "x".repeat(256)]) {
      expect(partitionKeyHash(key), key).toBe(BigInt(`0x${nodeMd5(utf8(key))}`));
    }
  });

  it("maps a known key to its known hash", () => {
    // md5("a") = 0cc175b9c0f1b6a831c399e269772661
    expect(partitionKeyHash("a")).toBe(16955237001963240173058271559858726497n);
  });

  it("stays within the 128-bit hash-key range", () => {
    for (let i = 0; i < 200; i++) {
      const hash = partitionKeyHash(`key-${i}`);
      expect(hash >= 0n && hash < 2n ** 128n).toBe(true);
    }
  });
});

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { partitionKeyHash } from "../../src/aggregation/md5.ts";
import { randomPartitionKey } from "../../src/producer/keys.ts";

function nodeHash(key: string): bigint {
  return BigInt(`0x${createHash("md5").update(key, "utf8").digest("hex")}`);
}

describe("partitionKeyHash", () => {
  it("matches MD5 for ASCII keys of every length around the one-block limit (55 bytes)", () => {
    for (let length = 1; length <= 70; length++) {
      const key = Array.from({ length }, (_, i) => String.fromCharCode(0x21 + ((i * 7 + length) % 94))).join("");
      expect(partitionKeyHash(key), key).toBe(nodeHash(key));
    }
  });

  it("leaves nothing of a longer key behind for the next, shorter one", () => {
    const long = "x".repeat(55);
    expect(partitionKeyHash(long)).toBe(nodeHash(long));
    for (const key of ["a", "ab", "\u0000", "\u007f"]) expect(partitionKeyHash(key), key).toBe(nodeHash(key));
  });

  it("matches MD5 of the UTF-8 bytes for keys that are not ASCII", () => {
    for (const key of ["ключ", "キー", "🔑", "é".repeat(30), "a".repeat(54) + "é", "ü".repeat(200)]) {
      expect(partitionKeyHash(key), key).toBe(nodeHash(key));
    }
  });

  it("matches MD5 for random keys, which are new each time and so never cached", () => {
    let state = 7;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 500; i++) {
      const key = randomPartitionKey(random);
      expect(partitionKeyHash(key), key).toBe(nodeHash(key));
    }
  });
});

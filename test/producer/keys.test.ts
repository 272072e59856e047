import { describe, expect, it } from "vitest";
import { InvalidPartitionKeyError } from "../../src/errors.ts";
import { parseExplicitHashKey, randomPartitionKey, validatePartitionKey } from "../../src/producer/keys.ts";

function rejection(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("partition keys", () => {
  it("accepts 1 to 256 characters, unicode included", () => {
    expect(() => validatePartitionKey("a")).not.toThrow();
    expect(() => validatePartitionKey("x".repeat(256))).not.toThrow();
    expect(() => validatePartitionKey("ключ-キー-🔑")).not.toThrow();
  });

  it("rejects empty, too long and non-string keys with a typed error", () => {
    for (const bad of ["", "x".repeat(257), 42, null]) {
      const error = rejection(() => validatePartitionKey(bad));
      expect(error).toBeInstanceOf(InvalidPartitionKeyError);
      expect(error).toMatchObject({ code: "INVALID_PARTITION_KEY", key: "partitionKey" });
    }
  });

  it("counts UTF-16 units, so 129 emoji (258 units) are too long", () => {
    expect(() => validatePartitionKey("🔑".repeat(128))).not.toThrow();
    expect(rejection(() => validatePartitionKey("🔑".repeat(129)))).toBeInstanceOf(InvalidPartitionKeyError);
  });

  it("makes random keys that differ and are valid", () => {
    let state = 1;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    const keys = new Set(Array.from({ length: 1000 }, () => randomPartitionKey(random)));
    expect(keys.size).toBe(1000);
    for (const key of keys) expect(() => validatePartitionKey(key)).not.toThrow();
  });
});

describe("explicit hash keys", () => {
  it("accepts decimal integers from 0 to 2^128 - 1", () => {
    expect(parseExplicitHashKey("0")).toBe(0n);
    expect(parseExplicitHashKey("340282366920938463463374607431768211455")).toBe((1n << 128n) - 1n);
  });

  it("rejects 2^128, negatives, leading zeros, hex and non-strings", () => {
    for (const bad of ["340282366920938463463374607431768211456", "-1", "01", "0x10", "", " 1", 5]) {
      const error = rejection(() => parseExplicitHashKey(bad));
      expect(error, String(bad)).toBeInstanceOf(InvalidPartitionKeyError);
      expect(error).toMatchObject({ key: "explicitHashKey" });
    }
  });
});

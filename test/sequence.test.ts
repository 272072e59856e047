import { describe, expect, it } from "vitest";
import { compareSequence, laterSequence } from "../src/internal/sequence.ts";

describe("sequence numbers compare as 128-bit integers", () => {
  it("orders canonical decimals by value, not by string order", () => {
    expect(compareSequence("9", "10")).toBe(-1);
    expect(compareSequence("49590338271490256608559692538361571095921575989136588898", "9")).toBe(1);
    expect(compareSequence("49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588897")).toBe(1);
    expect(compareSequence("12", "12")).toBe(0);
  });

  it("agrees with BigInt on random pairs of equal and unequal lengths", () => {
    for (let i = 0; i < 500; i++) {
      const a = BigInt.asUintN(128, BigInt(Math.floor(Math.random() * 2 ** 52)) << BigInt(i % 76)).toString();
      const b = BigInt.asUintN(128, BigInt(Math.floor(Math.random() * 2 ** 52)) << BigInt((i * 7) % 76)).toString();
      const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
      expect(compareSequence(a, b)).toBe(expected);
    }
  });

  it("falls back to BigInt for non-canonical text such as leading zeros", () => {
    expect(compareSequence("007", "7")).toBe(0);
    expect(compareSequence("010", "9")).toBe(1);
  });

  it("laterSequence treats undefined as nothing yet", () => {
    expect(laterSequence(undefined, "5")).toBe("5");
    expect(laterSequence("10", "9")).toBe("10");
  });
});

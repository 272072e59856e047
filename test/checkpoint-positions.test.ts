import { describe, expect, it } from "vitest";
import { sequenceOrder } from "../src/checkpointers/dynamodb/row.ts";
import { compareSequence, laterSequence, parsePosition, subRecordPosition } from "../src/internal/sequence.ts";

/**
 * A checkpoint inside a KPL aggregate, `<sequence>:<sub>`, sorts after the record before it and
 * before the whole record: in memory (compareSequence) and in DynamoDB's condition (sequence_order).
 */
const ordered = [
  "9",
  "10:0",
  "10:1",
  "10:12",
  "10",
  "11:0",
  "11",
  "100:3",
  "100",
  "49590338271490256608559692538361571095921575989136588898:2",
  "49590338271490256608559692538361571095921575989136588898",
];

describe("checkpoint positions inside a KPL aggregate", () => {
  it("compareSequence puts a sub-record position after the previous record and before its own record", () => {
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(compareSequence(ordered[i]!, ordered[j]!), `${ordered[i]} vs ${ordered[j]}`).toBe(Math.sign(i - j));
      }
    }
    expect(laterSequence("10", "10:5")).toBe("10");
    expect(laterSequence("10:5", "9")).toBe("10:5");
  });

  it("DynamoDB's sequence_order sorts the same way byte by byte, so its condition refuses a step back", () => {
    const orders = ordered.map((p) => sequenceOrder(p)!);
    for (let i = 0; i + 1 < orders.length; i++) expect(orders[i]! < orders[i + 1]!, `${ordered[i]} < ${ordered[i + 1]}`).toBe(true);
    // 1000's previous record has fewer digits: still between 999 and 1000.
    expect(sequenceOrder("999")! < sequenceOrder("1000:0")!).toBe(true);
    expect(sequenceOrder("1000:0")! < sequenceOrder("1000")!).toBe(true);
  });

  it("parses and writes positions", () => {
    expect(parsePosition("123:4")).toEqual({ sequence: "123", subSequence: 4 });
    expect(parsePosition("123")).toEqual({ sequence: "123" });
    expect(subRecordPosition("123", 0)).toBe("123:0");
    expect(() => parsePosition("123:x")).toThrow(TypeError);
  });
});

import { describe, expect, it } from "vitest";
import type { LeaseRow } from "../../src/checkpointers/lease/lease-row.ts";
import { cancelHandoffRow, createRow, ownerWriteRow, requestHandoffRow, takeRow } from "../../src/checkpointers/lease/row-transitions.ts";
import { decodeStoredRow, encodeStoredRow } from "../../src/checkpointers/lease/stored-row.ts";
import { ProtocolError } from "../../src/errors.ts";

/**
 * The conditions of the Durable Object and Deno KV stores' writes, as pure functions (the shared
 * suites reach them through the platforms; these pin each condition on its own, as redis-leases
 * does for the Lua scripts).
 */

const id = { key: "p:g:s:shard-0", group: "g", stream: "s", shardId: "shard-0", incarnation: "1000" };
const held: LeaseRow = { ...id, owner: "g/a", counter: 4, sequence: "49590338271490256608559692538361571095921575989136588898", finished: false };

describe("lease row transitions", () => {
  it("fence owner writes: a stale counter, another owner or an older sequence changes nothing", () => {
    const renew = { kind: "renew" as const, counter: 4, sequence: undefined };
    expect(ownerWriteRow(held, "g/a", { ...renew, counter: 3 }, 1)).toBeUndefined();
    expect(ownerWriteRow(held, "g/intruder", renew, 1)).toBeUndefined();
    expect(ownerWriteRow(held, "g/a", { ...renew, sequence: "9590338271490256608559692538361571095921575989136588898" }, 1)).toBeUndefined();
    expect(ownerWriteRow(held, "g/a", { ...renew, sequence: held.sequence }, 1)).toBeUndefined();
    expect(ownerWriteRow(held, "g/a", { ...renew, sequence: "49590338271490256608559692538361571095921575989136588899" }, 2000)).toMatchObject({
      counter: 5,
      owner: "g/a",
      sequence: "49590338271490256608559692538361571095921575989136588899",
      updatedAtSeconds: 2,
    });
  });

  it("a release keeps a pending owner (the row is reserved for it); a finish clears both and marks the shard", () => {
    const asked = { ...held, pendingOwner: "g/b" };
    expect(ownerWriteRow(asked, "g/a", { kind: "release", counter: 4, sequence: undefined }, 1)).toMatchObject({
      owner: undefined,
      pendingOwner: "g/b",
      counter: 5,
    });
    expect(ownerWriteRow(asked, "g/a", { kind: "finish", counter: 4, sequence: undefined }, 1)).toMatchObject({
      owner: undefined,
      pendingOwner: undefined,
      finished: true,
    });
  });

  it("keeps the first recorded start", () => {
    const started = ownerWriteRow(held, "g/a", { kind: "renew", counter: 4, sequence: undefined, startAt: 10 }, 1)!;
    expect(ownerWriteRow(started, "g/a", { kind: "renew", counter: 5, sequence: undefined, startAt: 20 }, 1)?.startAt).toBe(10);
  });

  it("takes only at the observed counter and owner, never a finished row, and clears the handoff request", () => {
    expect(takeRow(held, "g/b", { counter: 3, owner: "g/a" }, 1)).toBeUndefined();
    expect(takeRow(held, "g/b", { counter: 4, owner: "g/other" }, 1)).toBeUndefined();
    expect(takeRow({ ...held, owner: undefined, finished: true }, "g/b", { counter: 4 }, 1)).toBeUndefined();
    expect(takeRow({ ...held, pendingOwner: "g/b" }, "g/b", { counter: 4, owner: "g/a" }, 1)).toMatchObject({
      owner: "g/b",
      counter: 5,
      pendingOwner: undefined,
    });
  });

  it("creates only where no row of this incarnation is, moving the counter past a replaced one", () => {
    expect(createRow(undefined, id, "g/a", 1000)).toMatchObject({ owner: "g/a", counter: 1, incarnation: "1000" });
    expect(createRow(held, id, "g/b", 1000)).toBeUndefined();
    const replaced = createRow({ ...held, incarnation: "500", finished: true }, id, "g/b", 1000);
    expect(replaced).toMatchObject({ owner: "g/b", counter: 5, finished: false, incarnation: "1000" });
    expect(replaced).not.toHaveProperty("sequence");
  });

  it("a handoff request needs the named owner and no earlier request; only the requester withdraws it; neither moves the counter", () => {
    expect(requestHandoffRow(held, "g/b", "g/other")).toBeUndefined();
    const asked = requestHandoffRow(held, "g/b", "g/a")!;
    expect(asked).toMatchObject({ pendingOwner: "g/b", counter: 4 });
    expect(requestHandoffRow(asked, "g/c", "g/a")).toBeUndefined();
    expect(cancelHandoffRow(asked, "g/c")).toBeUndefined();
    expect(cancelHandoffRow(asked, "g/b")).toMatchObject({ pendingOwner: undefined, counter: 4 });
  });
});

describe("stored lease rows", () => {
  it("round-trip with the guide's field names and no undefined fields", () => {
    const row: LeaseRow = { ...held, pendingOwner: "g/b", updatedAtSeconds: 1.5, ttl: 99, startAt: 7 };
    const stored = encodeStoredRow(row);
    expect(stored).toEqual({
      group: "g",
      stream: "s",
      shard: "shard-0",
      ref: "g/a",
      lease_counter: 4,
      sequence: held.sequence,
      finished: false,
      pending_owner: "g/b",
      ts: 1.5,
      ttl: 99,
      incarnation: "1000",
      start_at: 7,
    });
    expect(encodeStoredRow({ ...held, owner: undefined })).not.toHaveProperty("ref");
    expect(decodeStoredRow(row.key, stored)).toEqual(row);
  });

  it("a value this library did not write is a ProtocolError naming the key", () => {
    expect(() => decodeStoredRow("p:g:s:x", "hello")).toThrow(ProtocolError);
    expect(() => decodeStoredRow("p:g:s:x", { group: "g", stream: "s", shard: "x", lease_counter: "4", finished: false })).toThrow(/p:g:s:x: lease_counter/);
  });
});

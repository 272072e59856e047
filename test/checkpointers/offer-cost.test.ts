import { expect, it } from "vitest";
import { HeldLease } from "../../src/checkpointers/lease/held-lease.ts";
import type { LeaseRow } from "../../src/checkpointers/lease/lease-row.ts";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { type Clock, systemClock } from "../../src/internal/clock.ts";

/**
 * The consumer offers a checkpoint for every record it hands out, so an offer must cost O(1): one
 * comparison with the highest known position, and no clock read unless it starts a buffer. These pin
 * that the shortcuts never change which offers are accepted.
 */

function row(sequence: string | undefined): LeaseRow {
  return { key: "k", shardId: "shard-0", counter: 1, owner: "me", sequence } as LeaseRow;
}

it("a burst of checkpoints reads the session's clock once per buffered write, not once per record", async () => {
  let reads = 0;
  const clock: Clock = { now: () => systemClock.now(), sleep: (ms, signal) => systemClock.sleep(ms, signal), monotonic: () => (reads++, performance.now()) };
  const checkpointer = new MemoryCheckPointer({ clock, checkpointInterval: 60, heartbeatFrequency: 60, sessionTimeout: 600 });
  const session = await checkpointer.start({ streamName: "s" });
  try {
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    const before = reads;
    for (let i = 1; i <= 1000; i++) session.checkpoint("shard-0", String(1000 + i));
    // One read starts the buffer; the timer loop it wakes may read once or twice more.
    expect(reads - before).toBeLessThan(10);
    expect((await session.get("shard-0"))?.sequence).toBe("2000");
  } finally {
    await session.close();
    await checkpointer.close();
  }
});

it("an offer is compared with the stored position even when that changed behind the buffer's back", () => {
  const lease = new HeldLease("shard-0", row("100"), 0);
  expect(lease.offer("150", 1)).toBe(true);
  // A write's answer can raise `committed` past what is buffered (fenced-write.ts reads it from the row).
  lease.committed = "300";
  expect(lease.offer("200", 2)).toBe(false);
  expect(lease.offer("301", 2)).toBe(false); // accepted, merged into the buffer started at 1
  expect(lease.pending).toBe("301");
  lease.writing = "400";
  expect(lease.offer("350", 3)).toBe(false);
  expect(lease.pending).toBe("301");
  expect(lease.covers("399")).toBe(true);
  expect(lease.covers("401")).toBe(false);
});

it("offers compare by value, whatever their length, and mix with positions inside an aggregate", () => {
  const lease = new HeldLease("shard-0", row(undefined), 0);
  expect(lease.offer("99", () => 1)).toBe(true);
  lease.offer("100:3", 2); // record 100 done up to sub-record 3: later than 99
  expect(lease.pending).toBe("100:3");
  lease.offer("100:2", 2);
  expect(lease.pending).toBe("100:3");
  lease.offer("100", 2); // the whole record is past its sub-records
  expect(lease.pending).toBe("100");
  lease.offer("0100", 2); // not canonical: compared as a number, equal, so refused
  lease.offer("98", 2);
  expect(lease.pending).toBe("100");
  lease.offer("1000", 2); // longer is later, though "1000" < "99" as text
  expect(lease.pending).toBe("1000");
});

it("a clock given to an offer is read only when the offer starts a buffer", () => {
  const lease = new HeldLease("shard-0", row("100"), 0);
  let reads = 0;
  const now = (): number => ++reads;
  expect(lease.offer("101", now)).toBe(true);
  expect(lease.offer("102", now)).toBe(false);
  expect(lease.offer("103", now)).toBe(false);
  expect(reads).toBe(1);
  expect(lease.pendingSince).toBe(1);
});

it("an aggregate position as long as the highest sequence is compared by value, never taken as later text", () => {
  const lease = new HeldLease("shard-0", row("1000"), 0);
  // "99:1" sorts after "1000" as text and has its length; by value it is record 99, long done.
  expect(lease.offer("99:1", 1)).toBe(false);
  expect(lease.pending).toBeUndefined();
  expect(lease.offer("1001", 1)).toBe(true);
  expect(lease.offer("1001:5", 2)).toBe(false); // inside record 1001: before the whole record
  expect(lease.pending).toBe("1001");
  expect(lease.offer("1002", 2)).toBe(false); // merged into the open buffer
  expect(lease.pending).toBe("1002");
});
